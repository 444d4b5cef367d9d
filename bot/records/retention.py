"""Every record has a retention: the system of record's stores purge by age, Redis keys expire.

`purge_all` runs each store's `purge_expired(now)` (the audit trail, consent, and the stores of
tickets, threads, bookings and reminders once they are in PostgreSQL); `make purge` runs it, and a
deployment runs it daily. `REDIS_FAMILIES` is the rule of every Redis key family the code
writes: it expires by itself (a TTL), is erased with the member (bot/privacy.py), or is kept for
a stated reason and holds no member's data in clear. tests/test_retention.py holds the code to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol


class Purgeable(Protocol):
    def purge_expired(self, now: datetime) -> int:
        """Remove the records older than this store's retention; how many."""


def purge_all(stores: Iterable[Purgeable], now: datetime) -> dict[str, int]:
    """Purge every store; how many records each removed, by store."""
    return {type(store).__name__: store.purge_expired(now) for store in stores}


Kind = Literal["expiry", "erasure", "kept", "legacy"]


@dataclass(frozen=True)
class Rule:
    kind: Kind  # expiry: a TTL on every key; erasure: erased with the member; kept: see `why`
    why: str


REDIS_FAMILIES: dict[str, Rule] = {
    # What is ephemeral: expires by itself.
    "coopsante:tracker:": Rule("expiry", "Rasa's conversation, TRACKER_RETENTION_DAYS after its last turn"),
    "coopsante:lock:": Rule("expiry", "Rasa's lock on a conversation while a turn runs"),
    "coopsante:echecs:": Rule("expiry", "failed identity checks, for the lock-out window"),
    "coopsante:otp:": Rule("expiry", "a one-time code, its few minutes"),
    "coopsante:effacer:": Rule("expiry", "the marker that erases a conversation at the end of its turn"),
    "coopsante:web:membre:": Rule("expiry", "a web session a coop site vouched for, until the token expires"),
    "coopsante:web:debit:": Rule("expiry", "a web session's message rate, two minutes"),
    "coopsante:sms:vu:": Rule("expiry", "Twilio MessageSids taken in (dedupe), 48 hours"),
    "coopsante:sms:choix:": Rule("expiry", "what 1, 2... mean in the next SMS reply, 24 hours"),
    "coopsante:sms:livraison": Rule("expiry", "failed deliveries (no phone, no text), trimmed by age"),
    "coopsante:voix:appel:": Rule("expiry", "a phone call's state"),
    "coopsante:voix:reponse:": Rule("expiry", "the TwiML of a call's answer, for Twilio's retries"),
    "coopsante:console:session:": Rule("expiry", "a clinician's console session, 8 hours"),
    # Records of members still in Redis on this branch; the `desk` branch moves them to
    # PostgreSQL, erases them with the member (erase_member) and purges them by age (purge_expired).
    "coopsante:relais:": Rule("erasure", "tickets and threads: HandoffDesk.erase_member, purge_expired"),
    "coopsante:rdv:": Rule("erasure", "bookings and reminders: BookingStore.erase_member, purge_expired"),
    # Kept, for a reason, and naming no member in clear.
    "coopsante:sms:desabonne:": Rule(
        "kept", "an SMS opt-out (STOP) must go on being honoured until START; a pseudonym of the phone only"
    ),
    "coopsante:dispo:": Rule("kept", "clinicians' availability: the coop's schedule, no member's data"),
    "coopsante:clinicien:": Rule("kept", "staff accounts, removed by the coop (tools/console_user.py)"),
    "coopsante:secret:": Rule("kept", "a server secret (signed .ics links), no personal data"),
    "coopsante:metriques:": Rule("kept", "aggregate counters (a count and a sum of seconds), no personal data"),
    # Where today's Redis held what is now in PostgreSQL: read once by tools/import_redis_records.py.
    "coopsante:membre:": Rule("legacy", "members, now in PostgreSQL"),
    "coopsante:tel:": Rule("legacy", "members by phone, now in PostgreSQL"),
    "coopsante:membres": Rule("legacy", "the member index, now in PostgreSQL"),
    "coopsante:consentement:": Rule("legacy", "consent, now in PostgreSQL"),
    "coopsante:audit": Rule("legacy", "the audit trail, now in PostgreSQL"),
}


def rule_for(key: str) -> Rule | None:
    """The rule of the family a Redis key belongs to (the longest matching prefix)."""
    matches = [prefix for prefix in REDIS_FAMILIES if key.startswith(prefix)]
    return REDIS_FAMILIES[max(matches, key=len)] if matches else None
