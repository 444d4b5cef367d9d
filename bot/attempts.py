"""Failed identification attempts, counted in Redis: at most 5 per 15 minutes per key.

Keys are a sender or a member number, hashed so that Redis holds no phone number in clear.
The window is fixed from the first failure; the lock lifts by itself when the key expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.pseudonym import pseudonym

KEY = "coopsante:echecs:{}"


def _key(subject: str) -> str:
    return KEY.format(pseudonym(subject))


@dataclass(frozen=True)
class AttemptLimiter:
    redis: Any
    max_failures: int = 5
    window_seconds: int = 15 * 60

    def locked(self, *subjects: str) -> bool:
        """Whether any of the subjects (sender, member number) has used up its failures."""
        counts = [self.redis.get(_key(s)) for s in subjects]
        return any(int(c) >= self.max_failures for c in counts if c is not None)

    def fail(self, *subjects: str) -> None:
        """Count one failure against each subject; the first failure starts the window."""
        pipe = self.redis.pipeline(transaction=True)
        for subject in subjects:
            key = _key(subject)
            pipe.incr(key)
            pipe.expire(key, self.window_seconds, nx=True)
        pipe.execute()

    def retry_after(self, *subjects: str) -> int:
        """Seconds until the longest lock among the subjects lifts (0 when none)."""
        ttls = [self.redis.ttl(_key(s)) for s in subjects if self.locked(s)]
        return max((t for t in ttls if t > 0), default=0)

    def clear(self, *subjects: str) -> None:
        """After a success, the subjects start again from zero."""
        self.redis.delete(*(_key(s) for s in subjects))
