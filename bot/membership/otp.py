"""One-time codes for web verification: 6 digits, valid 10 minutes, 3 tries, at most 3 texted to a
member per hour.

A code belongs to the chat session that passed the date step, never to a member number: another
session cannot use it. Only a salted hash of the code is stored (under a hash of the session), with
the member number typed; the code goes to the phone on file by SMS (the sending is the caller's
business). When the number and date did not match, the session gets a decoy that no typed code can
match, so that the code step then behaves exactly as for a real one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from bot.platform.pseudonym import pseudonym

KEY = "coopsante:otp:{}"  # + pseudonym(session)
SENT_KEY = "coopsante:otp:envois:{}"  # + pseudonym(member number): codes texted in the hour


def _digest(code: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()


@dataclass(frozen=True)
class OneTimeCodes:
    redis: Any
    ttl_seconds: int = 10 * 60
    max_tries: int = 3
    max_sends: int = 3  # codes texted to one member per hour (content/texts.yml says so)
    sends_window_seconds: int = 3600

    def issue(self, session: str, member_number: str, real: bool = True) -> str:
        """A new 6-digit code for the session, replacing any earlier one. A decoy (`real=False`)
        is stored the same way, but what it stores can match no typed code."""
        code = f"{secrets.randbelow(1_000_000):06d}"
        salt = secrets.token_hex(8)
        secret = code if real else "leurre-" + secrets.token_hex(16)  # typed codes are digits only
        key = KEY.format(pseudonym(session))
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping={"hash": _digest(secret, salt), "salt": salt, "tries": 0, "numero": member_number})
        pipe.expire(key, self.ttl_seconds)
        pipe.execute()
        return code

    def pending(self, session: str) -> str:
        """The member number typed by the session whose code is pending ('' when none)."""
        return str(self.redis.hget(KEY.format(pseudonym(session)), "numero") or "")

    def check(self, session: str, typed: str) -> tuple[str, str]:
        """('ok', member number) (the code is used up), ('wrong', '') (tries left), or
        ('expired', '') (none valid any more)."""
        key = KEY.format(pseudonym(session))
        stored = self.redis.hgetall(key)
        if not stored:
            return "expired", ""
        code = "".join(ch for ch in typed if ch.isdigit())
        if hmac.compare_digest(_digest(code, stored["salt"]), stored["hash"]):
            self.redis.delete(key)
            return "ok", str(stored.get("numero", ""))
        if self.redis.hincrby(key, "tries", 1) >= self.max_tries:
            self.redis.delete(key)
            return "expired", ""
        return "wrong", ""

    def may_send(self, member_number: str, spend: bool) -> bool:
        """Whether one more code may be texted to this member this hour; `spend` counts it. The
        same one Redis call either way, so that a match takes no longer than a miss."""
        key = SENT_KEY.format(pseudonym(member_number))
        if not spend:
            return int(self.redis.get(key) or 0) < self.max_sends
        pipe = self.redis.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, self.sends_window_seconds, nx=True)
        sent, _ = pipe.execute()
        return int(sent) <= self.max_sends
