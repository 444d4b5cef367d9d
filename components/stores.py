"""Redis tracker and lock stores configured from REDIS_URL (bot/settings.py).

Rasa's own Redis stores take host, port and db from endpoints.yml; these subclasses read one
REDIS_URL so the same endpoints.yml serves `make run`, `rasa shell` and a deployment. The
tracker store sets `record_exp` to the retention period, so Redis itself expires old
conversations (Law 25: keep personal data no longer than needed).
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain

from bot.settings import load_settings

KEY_PREFIX = "coopsante"  # Rasa ignores prefixes that are not alphanumeric


class ProjectRedisTrackerStore(RedisTrackerStore):
    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Any) -> None:
        settings = load_settings()
        redis = settings.redis
        super().__init__(
            domain=domain,
            host=redis.host,
            port=redis.port,
            db=redis.db,
            password=redis.password,
            use_ssl=redis.use_ssl,
            event_broker=event_broker,
            record_exp=settings.tracker_retention_seconds,
            key_prefix=KEY_PREFIX,
        )


class ProjectRedisLockStore(RedisLockStore):
    def __init__(self, **kwargs: Any) -> None:
        redis = load_settings().redis
        super().__init__(
            host=redis.host,
            port=redis.port,
            db=redis.db,
            password=redis.password,
            use_ssl=redis.use_ssl,
            key_prefix=KEY_PREFIX,
        )
