"""Failed identification attempts, counted in Redis: at most 5 per 15 minutes per key.

A key is a *source* (who is typing: a web session, the phone an SMS or a call comes from) or a
*target* (the member number typed on the web). The SMS check counts and checks its source alone,
the phone, which only its owner texts from; the web check counts both, so that brute force on one
member number from many sessions still meets a limit, while strangers failing on the web cannot
lock a member out of the SMS check from their own phone.

Keys are hashed (bot/platform/pseudonym.py), so that Redis holds no phone number in clear. An empty subject
(nothing typed, nothing parsed) is never counted: it would be one counter shared by every visitor.
The window is fixed from the first failure; the lock lifts by itself when the key expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.platform.pseudonym import pseudonym

KEY = "coopsante:echecs:{}"


def _key(subject: str) -> str:
    return KEY.format(pseudonym(subject))


def _counted(subjects: tuple[str, ...]) -> list[str]:
    """The subjects that name someone: blanks are dropped, and each is counted once."""
    return list(dict.fromkeys(s for s in subjects if s and s.strip()))


@dataclass(frozen=True)
class AttemptLimiter:
    redis: Any
    max_failures: int = 5
    window_seconds: int = 15 * 60

    def locked(self, *subjects: str) -> bool:
        """Whether any of the subjects (session, phone, member number) has used up its failures."""
        counts = [self.redis.get(_key(s)) for s in _counted(subjects)]
        return any(int(c) >= self.max_failures for c in counts if c is not None)

    def fail(self, *subjects: str) -> None:
        """Count one failure against each subject; the first failure starts the window."""
        counted = _counted(subjects)
        if not counted:
            return
        pipe = self.redis.pipeline(transaction=True)
        for subject in counted:
            key = _key(subject)
            pipe.incr(key)
            pipe.expire(key, self.window_seconds, nx=True)
        pipe.execute()

    def retry_after(self, *subjects: str) -> int:
        """Seconds until the longest lock among the subjects lifts (0 when none)."""
        ttls = [self.redis.ttl(_key(s)) for s in _counted(subjects) if self.locked(s)]
        return max((t for t in ttls if t > 0), default=0)

    def clear(self, *subjects: str) -> None:
        """After a success, the subjects start again from zero."""
        counted = _counted(subjects)
        if counted:
            self.redis.delete(*(_key(s) for s in counted))
