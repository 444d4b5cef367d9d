"""Every record has a retention: the system of record's stores purge by age, Redis keys expire.

`purge_all` runs each store's `purge_expired(now)` (the audit trail, consent, tickets and threads,
bookings and reminders, availability, the coop dashboard's service records); the console process
runs it every hour, `make purge` by hand. `REDIS_FAMILIES` is the rule of every Redis key family
the code writes: it expires by itself (a TTL), is erased with the member (bot/records/privacy.py), or is
kept for a stated reason and holds no member's data in clear. tests/integration/test_retention.py holds the
code to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol


class Purgeable(Protocol):
    def purge_expired(self, now: datetime) -> int:
        """Remove the records older than this store's retention; how many."""


def record_stores(engine: Any, redis: Any, settings: Any) -> list[Purgeable]:
    """Every store of the system of record that purges by age."""
    from bot.booking.availability import Availability
    from bot.booking.store import BookingStore
    from bot.handoff.desk import HandoffDesk
    from bot.membership.consent import ConsentStore
    from bot.platform.audit import AuditLog
    from bot.records.service_records import ServiceRecords

    return [
        AuditLog(engine, settings.audit_retention_days),
        ConsentStore(engine, settings.consent_retention_days),
        HandoffDesk(engine, redis, settings.tracker_retention_seconds),
        BookingStore(engine),
        Availability(engine),
        ServiceRecords(engine),
    ]


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
    "coopsante:tracker_etat:": Rule("expiry", "beside a conversation: its state (components/stores.py), with it"),
    "coopsante:relais:garde:": Rule("expiry", "clinicians on duty per coop, a minute after their last heartbeat"),
    "coopsante:rdv:rappel:": Rule("expiry", "which booking a reminder was about, until the booking starts"),
    "coopsante:console:sessions:": Rule("expiry", "a console account's sessions, as long as its last session"),
    "coopsante:console:echecs:": Rule("expiry", "failed console logins per account and per source, their window"),
    "coopsante:console:bris:": Rule("expiry", "a break-glass access to a closed ticket, an hour"),
    # Kept, for a reason, and naming no member in clear.
    "coopsante:sms:desabonne:": Rule(
        "kept", "an SMS opt-out (STOP) must go on being honoured until START; a pseudonym of the phone only"
    ),
    "coopsante:clinicien:": Rule("kept", "staff accounts, removed by the coop (ops/console_user.py)"),
    "coopsante:secret:": Rule("kept", "a server secret (signed .ics links), no personal data"),
    "coopsante:console:cle_csrf": Rule(
        "kept", "a server secret (the console login form's CSRF tokens), no personal data"
    ),
    "coopsante:metriques:": Rule(
        "kept", "aggregate counters (a count, a sum of seconds, counts by bucket), no personal data"
    ),
    # Where today's Redis held what is now in PostgreSQL: read once by ops/import_redis_records.py.
    "coopsante:membre:": Rule("legacy", "members, now in PostgreSQL"),
    "coopsante:tel:": Rule("legacy", "members by phone, now in PostgreSQL"),
    "coopsante:membres": Rule("legacy", "the member index, now in PostgreSQL"),
    "coopsante:consentement:": Rule("legacy", "consent, now in PostgreSQL"),
    "coopsante:audit": Rule("legacy", "the audit trail, now in PostgreSQL"),
    "coopsante:relais:": Rule("legacy", "handoff tickets, threads and their queue, now in PostgreSQL"),
    "coopsante:rdv:": Rule("legacy", "bookings and their reminders, now in PostgreSQL"),
    "coopsante:dispo:": Rule("legacy", "clinicians' availability, now in PostgreSQL"),
}


def rule_for(key: str) -> Rule | None:
    """The rule of the family a Redis key belongs to (the longest matching prefix)."""
    matches = [prefix for prefix in REDIS_FAMILIES if key.startswith(prefix)]
    return REDIS_FAMILIES[max(matches, key=len)] if matches else None
