"""make import-redis: copy the records today's Redis holds into the system of record (PostgreSQL).

Members, consent records and the audit trail (this module's stores), then tickets, threads,
bookings and availability through `import_from_redis(redis, engine)` of bot.handoff.desk,
bot.booking.store and bot.booking.availability, where those modules have it. Idempotent: running it twice
adds nothing. Redis is left as it was; once the import is checked, its old keys can go
(bot/records/retention.py lists them as `legacy`).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.membership import consent
from bot.membership import store as member_store
from bot.platform import audit
from bot.platform.redis_clients import sync_client
from bot.platform.settings import load_settings
from bot.records.database import engine_for, migrate

MOVED_ELSEWHERE = {
    "handoff": "bot.handoff.desk",
    "bookings": "bot.booking.store",
    "availability": "bot.booking.availability",
}


def import_all(client: Any, engine: Engine) -> dict[str, str]:
    """Import everything; what each part added, as text for the operator."""
    members = member_store.import_from_redis(client, engine)
    done = {
        "membres": f"{members.created} ajoutés, {members.updated} mis à jour, {members.unchanged} inchangés",
        "consentements": f"{consent.import_from_redis(client, engine)} ajoutés",
        "journal": f"{audit.import_from_redis(client, engine)} ajoutées",
    }
    for part, name in MOVED_ELSEWHERE.items():
        importer = getattr(importlib.import_module(name), "import_from_redis", None)
        if importer is not None:
            done[part] = str(importer(client, engine))
    return done


def main() -> None:
    settings = load_settings()
    if not settings.database_url:
        sys.exit("DATABASE_URL n'est pas réglée: lancez `make run` ou réglez DATABASE_URL.")
    client = sync_client(settings.redis_url)
    try:
        client.ping()
    except redis.RedisError:
        sys.exit("Redis ne répond pas: réglez REDIS_URL.")
    try:
        migrate(settings.database_url)
        engine = engine_for(settings.database_url)
        done = import_all(client, engine)
        engine.dispose()
    except SQLAlchemyError as exc:
        sys.exit(f"PostgreSQL ne répond pas ou refuse l'import ({type(exc).__name__}).")
    for part, what in done.items():
        print(f"{part}: {what}")


if __name__ == "__main__":
    main()
