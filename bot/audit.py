"""The audit trail: an append-only Redis stream of who did what, never the values typed.

Subjects (a phone, a member number) are stored as hashes, so the trail proves which attempts
were made on an identity without holding it in clear. The trail is kept when a member's data is
deleted: Law 25 lets a coop keep what it needs to account for accesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.pseudonym import pseudonym

STREAM = "coopsante:audit"
MAX_ENTRIES = 1_000_000  # approximate cap, so the stream cannot grow without bound


@dataclass(frozen=True)
class AuditLog:
    redis: Any

    def record(self, event: str, outcome: str, *subjects: str) -> None:
        fields = {"evenement": event, "resultat": outcome, "sujets": ",".join(pseudonym(s) for s in subjects)}
        self.redis.xadd(STREAM, fields, maxlen=MAX_ENTRIES, approximate=True)

    def access(self, actor: str, action: str, ticket: str, detail: str = "") -> None:
        """A clinician's access to a handoff: who (the staff account, in clear), what, which ticket."""
        fields = {"evenement": f"console.{action}", "acteur": actor, "ticket": ticket, "detail": detail}
        self.redis.xadd(STREAM, fields, maxlen=MAX_ENTRIES, approximate=True)

    def entries(self, count: int = 100) -> list[dict[str, str]]:
        """The latest entries, newest first (for the admin page and the tests)."""
        return [dict(fields, id=entry_id) for entry_id, fields in self.redis.xrevrange(STREAM, count=count)]
