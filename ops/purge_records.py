"""make purge: remove the records past their retention from the system of record (PostgreSQL).

Runs `purge_expired(now)` of every store that keeps records by age (bot/records/retention.py):
the audit trail, consent histories, tickets, bookings, availability. The console process does the
same every hour; this is for doing it by hand. Redis needs no purge: what it keeps expires by itself.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.platform.redis_clients import sync_client
from bot.platform.settings import load_settings
from bot.records.database import engine_for
from bot.records.retention import purge_all, record_stores


def main() -> None:
    settings = load_settings()
    if not settings.database_url:
        sys.exit("DATABASE_URL is not set: `make run` starts PostgreSQL and sets it.")
    engine = engine_for(settings.database_url)
    redis = sync_client(settings.redis_url)
    try:
        removed = purge_all(record_stores(engine, redis, settings), datetime.now(UTC))
    except SQLAlchemyError as exc:
        sys.exit(f"PostgreSQL did not answer or refused the purge ({type(exc).__name__}).")
    finally:
        engine.dispose()
    print(", ".join(f"{name}: {count} removed" for name, count in removed.items()))


if __name__ == "__main__":
    main()
