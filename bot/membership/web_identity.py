"""A member already logged in on the coop's website: a signed token (JWT) vouches for them.

The coop site signs `{"sub": "<member number>", "exp": <unix time>, "aud": "coopsante-triage",
"iss": "<the site's origin>"}` with the shared secret `WEB_JWT_SECRET` (HS256) and gives it to the
widget. The audience (`WEB_JWT_AUDIENCE`) says the token is meant for this assistant, not for
another service sharing the secret; the issuer must be one of `WEB_JWT_ISSUERS` (by default the
sites allowed to open the web chat, `WEB_ALLOWED_ORIGINS`). The web channel checks it when the browser
connects and remembers the member for that chat session only, in Redis, until the token expires:
the membership gate then skips the identity questions. Nothing a browser sends afterwards can
change who the session belongs to.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt

from bot.platform.pseudonym import pseudonym

KEY = "coopsante:web:membre:"
MAX_SECONDS = 12 * 3600  # even a long-lived token vouches for half a day at most
ALGORITHMS = ["HS256"]


def verified_member(token: str, secret: str, audience: str, issuers: Sequence[str]) -> tuple[str, int] | None:
    """(member number, seconds left) from a valid, unexpired token for `audience` from one of
    `issuers`; None otherwise (and always when no issuer is allowed)."""
    if not secret or not issuers:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=list(issuers),
            options={"require": ["exp", "sub", "aud", "iss"]},
        )
    except jwt.PyJWTError:
        return None
    left = int(claims["exp"] - time.time())
    number = str(claims["sub"]).strip().upper()
    if not number or left <= 0:
        return None
    return number, min(left, MAX_SECONDS)


@dataclass(frozen=True)
class WebIdentities:
    redis: Any

    def remember(self, session: str, member_number: str, seconds: int) -> None:
        self.redis.set(KEY + pseudonym(session), member_number, ex=max(1, seconds))

    def member(self, session: str) -> str | None:
        value = self.redis.get(KEY + pseudonym(session))
        return str(value) if value else None


@dataclass(frozen=True)
class AsyncWebIdentities:
    """`WebIdentities` over a `redis.asyncio` client: the same keys, for the web channel's event loop."""

    redis: Any

    async def remember(self, session: str, member_number: str, seconds: int) -> None:
        await self.redis.set(KEY + pseudonym(session), member_number, ex=max(1, seconds))
