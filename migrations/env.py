"""Alembic's entry point: runs the migrations on the URL given by bot.records.database.migrate,
or on DATABASE_URL when the `alembic` command is used by hand (alembic.ini at the root)."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

url = context.config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL", "")
if not url:
    raise SystemExit("DATABASE_URL is not set")

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
        # A future-style connection may have begun a transaction of its own (reading the version
        # table) that the block above then joins: without this commit a downgrade is rolled back.
        connection.commit()
    engine.dispose()
