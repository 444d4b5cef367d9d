"""Connections to the system of record, and bringing its schema up to date."""

from __future__ import annotations

from functools import cache
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


@cache
def shared_engine(url: str) -> Engine:
    """One engine per URL for this process (its pool is shared by every store that uses it)."""
    return engine_for(url)


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the database at `url` to `revision` (the newest by default); "base" takes it down to empty."""
    from alembic import command

    if revision == "base":
        command.downgrade(_alembic_config(url), revision)
    else:
        command.upgrade(_alembic_config(url), revision)


def tables(engine: Engine) -> list[str]:
    """The project's tables (Alembic's bookkeeping table aside)."""
    return [name for name in inspect(engine).get_table_names() if name != "alembic_version"]


def empty(engine: Engine) -> None:
    """Remove every row of every table (tests start from a known state)."""
    names = tables(engine)
    if names:
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
