"""The SMS keywords Canadian carriers expect (stop, resume, help), and the stored opt-out state.

Keywords are whole messages: "ARRET" stops, "arrêt svp" too, but "je veux arrêter de fumer" is a
health question. Matching ignores case, accents and a trailing courtesy word.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Literal

from bot.platform.pseudonym import pseudonym
from bot.platform.text import strip_accents

Keyword = Literal["stop", "start", "help"]

KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(("STOP", "ARRET", "ARRETER", "DESABONNER", "UNSUBSCRIBE", "STOPALL", "END", "QUIT"), "stop"),
    **dict.fromkeys(("START", "DEBUT", "REPRENDRE", "UNSTOP"), "start"),
    **dict.fromkeys(("AIDE", "HELP", "INFO"), "help"),
}
COURTESY = re.compile(r"\s+(svp|stp|s il vous plait|merci|please|thanks)$")
OPT_OUT_KEY = "coopsante:sms:desabonne:"


def keyword(body: str) -> Keyword | None:
    """The carrier keyword a whole message is, if it is one."""
    words = re.sub(r"[^A-Z0-9 ]+", " ", strip_accents(body).upper())
    words = re.sub(r"\s+", " ", words).strip().lower()
    words = COURTESY.sub("", words).replace(" ", "").upper()
    return KEYWORDS.get(words)


@dataclass(frozen=True)
class OptOuts:
    """Which phones asked for no more messages. Kept until they write START: the request must be honoured."""

    redis: Any

    def opted_out(self, phone: str) -> bool:
        return bool(self.redis.exists(OPT_OUT_KEY + pseudonym(phone)))

    def stop(self, phone: str, how: str) -> bool:
        """Record an opt-out; False when the phone had already opted out (confirm only once)."""
        return bool(self.redis.set(OPT_OUT_KEY + pseudonym(phone), _opt_out_value(how), nx=True))

    def resume(self, phone: str) -> bool:
        """Lift an opt-out; False when there was none."""
        return bool(self.redis.delete(OPT_OUT_KEY + pseudonym(phone)))


@dataclass(frozen=True)
class AsyncOptOuts:
    """`OptOuts` over a `redis.asyncio` client: the same keys, for the SMS channel's event loop."""

    redis: Any

    async def opted_out(self, phone: str) -> bool:
        return bool(await self.redis.exists(OPT_OUT_KEY + pseudonym(phone)))

    async def stop(self, phone: str, how: str) -> bool:
        return bool(await self.redis.set(OPT_OUT_KEY + pseudonym(phone), _opt_out_value(how), nx=True))

    async def resume(self, phone: str) -> bool:
        return bool(await self.redis.delete(OPT_OUT_KEY + pseudonym(phone)))


def _opt_out_value(how: str) -> str:
    return f"{int(time.time())} {how}"
