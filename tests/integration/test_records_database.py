"""The system of record's PostgreSQL: a real server started by the tests, migrations from empty."""

from __future__ import annotations

from sqlalchemy import text

from bot.records.database import engine_for, migrate, tables
from tests.conftest import new_database


def test_the_schema_is_at_the_newest_migration_and_migrating_again_changes_nothing(database_url: str) -> None:
    from alembic.script import ScriptDirectory

    from bot.records.database import MIGRATIONS, _alembic_config

    heads = ScriptDirectory.from_config(_alembic_config(database_url)).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    migrate(database_url)
    engine = engine_for(database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == heads[0]
    engine.dispose()
    assert (MIGRATIONS / "env.py").exists()


def test_a_database_migrates_from_empty_down_to_empty_and_up_again(database_url: str) -> None:
    target = new_database(database_url, "migrations_round_trip")
    migrate(target)
    engine = engine_for(target)
    newest = tables(engine)
    migrate(target, "base")
    assert tables(engine) == []
    migrate(target)
    assert sorted(tables(engine)) == sorted(newest)
    engine.dispose()
