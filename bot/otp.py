"""One-time codes for web verification: 6 digits, valid 10 minutes, 3 tries.

Only a salted hash of the code is stored, under the member number; the code goes to the
phone on file by SMS (the sending is the caller's business).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

KEY = "coopsante:otp:{}"


def _digest(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class OneTimeCodes:
    redis: Any
    ttl_seconds: int = 10 * 60
    max_tries: int = 3

    def issue(self, member_number: str) -> str:
        """A new 6-digit code for the member, replacing any earlier one."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        salt = secrets.token_hex(8)
        key = KEY.format(member_number)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping={"hash": _digest(code, salt), "salt": salt, "tries": 0})
        pipe.expire(key, self.ttl_seconds)
        pipe.execute()
        return code

    def check(self, member_number: str, typed: str) -> str:
        """'ok' (the code is used up), 'wrong' (tries left), or 'expired' (none valid any more)."""
        key = KEY.format(member_number)
        stored = self.redis.hgetall(key)
        if not stored:
            return "expired"
        code = "".join(ch for ch in typed if ch.isdigit())
        if hmac.compare_digest(_digest(code, stored["salt"]), stored["hash"]):
            self.redis.delete(key)
            return "ok"
        if self.redis.hincrby(key, "tries", 1) >= self.max_tries:
            self.redis.delete(key)
            return "expired"
        return "wrong"
