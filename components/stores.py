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
from rasa.shared.core.trackers import DialogueStateTracker

from bot.privacy import take_erasure_request
from bot.settings import Settings, load_settings

KEY_PREFIX = "coopsante"  # Rasa ignores prefixes that are not alphanumeric


def _connection(settings: Settings) -> dict[str, Any]:
    redis = settings.redis
    return {
        "host": redis.host,
        "port": redis.port,
        "db": redis.db,
        "password": redis.password,
        "use_ssl": redis.use_ssl,
        "key_prefix": KEY_PREFIX,
    }


class ProjectRedisTrackerStore(RedisTrackerStore):
    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Any) -> None:
        settings = load_settings()
        super().__init__(
            domain=domain,
            event_broker=event_broker,
            record_exp=settings.tracker_retention_seconds,
            **_connection(settings),
        )

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Save, unless the member asked in this turn that the conversation be erased."""
        if take_erasure_request(self.red, tracker.sender_id):
            self.red.delete(self.key_prefix + tracker.sender_id)
            return
        await super().save(tracker, timeout)


class ProjectRedisLockStore(RedisLockStore):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_connection(load_settings()))
