"""Where the bot's own text messages go (one-time codes today; reminders later).

Until the Twilio channel exists (issue 5) the outbox is a Redis list that a developer can read
(`redis-cli -p 6380 lrange coopsante:sms:sortie 0 -1`). Every sender of SMS goes through
`send`, so the Twilio client replaces this one class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

OUTBOX = "coopsante:sms:sortie"
KEEP = 1000  # a development outbox, not an archive


@dataclass(frozen=True)
class RedisOutbox:
    redis: Any

    def send(self, phone: str, text: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.lpush(OUTBOX, json.dumps({"to": phone, "body": text}, ensure_ascii=False))
        pipe.ltrim(OUTBOX, 0, KEEP - 1)
        pipe.execute()

    def latest_to(self, phone: str) -> str | None:
        """The last text sent to a phone (for tests and local use)."""
        for raw in self.redis.lrange(OUTBOX, 0, -1):
            message = json.loads(raw)
            if message["to"] == phone:
                return str(message["body"])
        return None
