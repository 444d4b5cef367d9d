"""Connections to the system of record, and bringing its schema up to date."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent.parent / "migrations"
CONNECT_TIMEOUT_SECONDS = 5


def engine_for(url: str) -> Engine:
    """A pooled engine; connections are checked before use, so a restarted server is not an error."""
    return create_engine(
        url,
        future=True,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS, "application_name": "coopsante"},
    )


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision` (the newest by default): up, or down when the
    database is newer than `revision` ("base" empties the schema)."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    config = _alembic_config(url)
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    engine.dispose()
    script = ScriptDirectory.from_config(config)
    newer = current is not None and (
        revision == "base"
        or (
            revision != "head"
            and revision != current
            and revision in {r.revision for r in script.iterate_revisions(current, "base")}
        )
    )
    if newer:
        command.downgrade(config, revision)
    else:
        command.upgrade(config, revision)


def tables(engine: Engine) -> list[str]:
    """The project's tables (Alembic's bookkeeping table aside)."""
    return [name for name in inspect(engine).get_table_names() if name != "alembic_version"]


def empty(engine: Engine) -> None:
    """Remove every row of every table (tests start from a known state)."""
    names = tables(engine)
    if names:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
