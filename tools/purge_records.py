"""make purge: remove the records past their retention from the system of record (PostgreSQL).

Runs `purge_expired(now)` of every store that keeps records by age (bot/records/retention.py):
the audit trail (AUDIT_RETENTION_DAYS) and consent histories (CONSENT_RETENTION_DAYS). Redis
needs no purge: what it keeps expires by itself. A deployment runs this once a day.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.audit import AuditLog
from bot.consent import ConsentStore
from bot.records.database import engine_for
from bot.records.retention import Purgeable, purge_all
from bot.settings import Settings, load_settings


def stores(engine: Engine, settings: Settings) -> list[Purgeable]:
    """The stores that purge by age. The stores of tickets, threads, bookings and reminders join
    this list once they are in PostgreSQL (issue 16, the `desk` branch)."""
    return [
        AuditLog(engine, settings.audit_retention_days),
        ConsentStore(engine, settings.consent_retention_days),
    ]


def main() -> None:
    settings = load_settings()
    if not settings.database_url:
        sys.exit("DATABASE_URL is not set: `make run` starts PostgreSQL and sets it.")
    engine = engine_for(settings.database_url)
    try:
        removed = purge_all(stores(engine, settings), datetime.now(UTC))
    except SQLAlchemyError as exc:
        sys.exit(f"PostgreSQL did not answer or refused the purge ({type(exc).__name__}).")
    finally:
        engine.dispose()
    print(", ".join(f"{name}: {count} removed" for name, count in removed.items()))


if __name__ == "__main__":
    main()
