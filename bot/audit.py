"""The audit trail: append-only Redis streams of who did what, never the values typed.

Two streams, so that one kind of event cannot bury the other:
- security events (`record`): login attempts, identity checks, lockouts. Their subjects (a phone,
  a member number, an e-mail typed at the console's login) are stored as hashes, so the trail
  proves which attempts were made on an identity without holding it in clear;
- access events (`access`): a staff account (in clear) did something to a ticket of a coop.

Nothing is dropped to keep a count: entries older than the retention (AUDIT_RETENTION_DAYS,
365 by default) are trimmed as new ones arrive (XADD ... MINID). The trail is kept when a member's
data is deleted: Law 25 lets a coop keep what it needs to account for accesses.

This class is the contract other stores must keep: `record`, `access`, `entries`.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Any

from bot.pseudonym import pseudonym

SECURITY_STREAM = "coopsante:audit"  # where every event went before access events had their own stream
ACCESS_STREAM = "coopsante:audit:acces"
STREAMS = {"security": SECURITY_STREAM, "access": ACCESS_STREAM}
DEFAULT_RETENTION_DAYS = 365
STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
_BATCH = 500


def retention_days_from_env() -> int:
    raw = os.environ.get("AUDIT_RETENTION_DAYS", "").strip()
    days = int(raw) if raw.isdigit() else DEFAULT_RETENTION_DAYS
    return max(1, days)


@dataclass(frozen=True)
class AuditLog:
    redis: Any
    retention_days: int = field(default_factory=retention_days_from_env)

    def _add(self, stream: str, fields: dict[str, str]) -> None:
        oldest_kept_ms = int((time.time() - self.retention_days * 86400) * 1000)
        self.redis.xadd(stream, fields, minid=oldest_kept_ms, approximate=False)  # exact: the retention is a promise

    def record(self, event: str, outcome: str, *subjects: str) -> None:
        """A security event: what was tried on which identities (hashed), and how it ended."""
        fields = {"evenement": event, "resultat": outcome, "sujets": ",".join(pseudonym(s) for s in subjects)}
        self._add(SECURITY_STREAM, fields)

    def access(self, actor: str, action: str, ticket: str, detail: str = "", coop: str = "") -> None:
        """A staff account's access: who (in clear), what, which ticket, of which coop."""
        fields = {"evenement": f"console.{action}", "acteur": actor, "ticket": ticket, "detail": detail, "coop": coop}
        self._add(ACCESS_STREAM, fields)

    def entries(
        self,
        kind: str = "access",
        coop: str | None = None,
        actor: str | None = None,
        ticket: str | None = None,
        before: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, str]]:
        """Entries of one kind ("access" or "security"), newest first, older than `before` (an entry
        id) when given, that match every filter given. For security entries, `actor` matches the
        hashed subjects (an e-mail or phone given in clear is hashed to compare)."""
        stream = STREAMS.get(kind)
        if stream is None:
            raise ValueError(f"unknown audit kind: {kind}")
        if before is not None and not STREAM_ID.match(before):
            raise ValueError("before must be an entry id")
        hashed = pseudonym(actor) if actor and kind == "security" else ""
        found: list[dict[str, str]] = []
        high = f"({before}" if before else "+"
        while len(found) < limit:
            batch = self.redis.xrevrange(stream, max=high, min="-", count=_BATCH)
            for entry_id, fields in batch:
                if coop is not None and fields.get("coop", "") != coop:
                    continue
                if ticket is not None and fields.get("ticket", "") != ticket:
                    continue
                if actor is not None:
                    if kind == "security" and hashed not in fields.get("sujets", "").split(","):
                        continue
                    if kind == "access" and fields.get("acteur", "") != actor:
                        continue
                found.append(dict(fields, id=entry_id))
                if len(found) >= limit:
                    break
            if len(batch) < _BATCH:
                break
            high = f"({batch[-1][0]}"
        return found
