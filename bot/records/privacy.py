"""Data rights (Law 25): what the bot holds about a member, and erasing it, on every channel.

A phone a family shares is one SMS conversation: erasing one member's data forgets that
conversation for the whole family, and the stores are given the phone as well as the member number.

A member's records are found from what names them: the member number, the phone on file, the
conversation asking, and every conversation whose tracker names the member (an SMS conversation
is the phone's; a web session names the member number once identified; a phone call's names the
phone). Erasure then removes, for all of them: tickets and threads (the handoff desk), bookings
(anonymised by the booking store), the consent history, the trackers, and every Redis key whose
name holds the phone, the member number or a pseudonym of either or of a conversation.

Kept, and said so in the reply: the coop's member file (the coop's own register) and the audit
trail (pseudonymised, the law requires it), and an SMS opt-out (STOP), which must go on being
honoured and holds only a pseudonym.

Erasing the conversation asking cannot be done from inside it (Rasa saves the tracker once the
turn ends), so the action leaves a short-lived marker and the tracker store deletes the
conversation instead of saving it (components/stores.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.membership.consent import ConsentStore
from bot.membership.members import Member
from bot.membership.verification import CALL_SEPARATOR, phone_of_sender
from bot.platform.audit import AuditLog
from bot.platform.pseudonym import pseudonym
from bot.platform.tracker_keys import STATE_PREFIX, TRACKER_PREFIX, tracker_keys

ERASE_KEY = "coopsante:effacer:{}"
ERASE_MARKER_SECONDS = 300
LOCK_PREFIX = "coopsante:lock:"  # Rasa's lock store: held while a turn runs, expires by itself
KEPT_PREFIXES = (
    "coopsante:sms:desabonne:",  # an opt-out (STOP) goes on being honoured (bot/sms/keywords.py)
    "coopsante:effacer:",  # the marker that erases the asking conversation at the end of its turn
    LOCK_PREFIX,
)


class MemberRecords(Protocol):
    """A store holding records of members (HandoffDesk, BookingStore) that can erase them."""

    def erase_member(self, member_number: str, phones: Sequence[str], conversations: Sequence[str]) -> int:
        """Erase (or anonymise) every record of this member; how many records."""


@dataclass(frozen=True)
class Footprint:
    """What names one member, across channels."""

    member_number: str
    phones: tuple[str, ...]
    conversations: tuple[str, ...]  # Rasa sender ids: phones, web sessions, phone calls

    def names(self) -> set[str]:
        """Every string that names the member in a Redis key: in clear and as a pseudonym."""
        clear = {self.member_number, *self.phones, *self.conversations} - {""}
        return clear | {pseudonym(value) for value in clear}


@dataclass(frozen=True)
class ErasureReport:
    records: int  # tickets, bookings and the like, as the stores counted them
    consents: int
    conversations: int
    keys: int


def _decoded(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def member_conversations(redis: Any, member_number: str, phones: Iterable[str]) -> list[str]:
    """Every conversation whose tracker names the member (its key or its content), or that a coop
    site vouched for as the member's (bot/membership/web_identity.py)."""
    phones = set(phones)
    wanted = [v for v in (member_number, *phones) if v]
    # A whole value: "VM-000101" is not in "VM-0001012", "+18195550101" not in "+181955501012".
    named = re.compile("|".join(f"(?<![0-9A-Za-z]){re.escape(v)}(?![0-9A-Za-z])" for v in wanted))
    vouched = {key.rsplit(":", 1)[-1] for key in _web_sessions_of(redis, member_number)}
    found = []
    for raw_key in redis.scan_iter(match=TRACKER_PREFIX + "*", count=500):
        key = _decoded(raw_key)
        sender = key[len(TRACKER_PREFIX) :]
        if phone_of_sender(sender) in phones or pseudonym(sender) in vouched or named.search(_tracker_text(redis, key)):
            found.append(sender)
    return sorted(found)


def _tracker_text(redis: Any, key: str) -> str:
    """A conversation's stored events as text: a list (components/stores.py), or one JSON string as
    Rasa's own store kept it."""
    kind = _decoded(redis.type(key))
    if kind == "list":
        return "\n".join(_decoded(e) for e in redis.lrange(key, 0, -1))
    return _decoded(redis.get(key) or "") if kind == "string" else ""


def footprint(redis: Any, member: Member, sender: str) -> Footprint:
    """What names this member: their number, the phone on file (and the asking one), their conversations."""
    asking = phone_of_sender(sender)
    phones = sorted({member.phone, *([asking] if asking else [])})
    conversations = sorted({sender, *phones, *member_conversations(redis, member.number, phones)})
    return Footprint(member.number, tuple(phones), tuple(conversations))


def _keys_naming(redis: Any, names: set[str]) -> list[str]:
    found = []
    for raw_key in redis.scan_iter(match="coopsante*", count=1000):
        key = _decoded(raw_key)
        if key.startswith(KEPT_PREFIXES):
            continue
        # Whole parts only: "VM-000101" names coopsante:otp:VM-000101, not coopsante:otp:VM-0001012.
        parts = set(re.split(f"[:{CALL_SEPARATOR}]", key))
        for prefix in (TRACKER_PREFIX, STATE_PREFIX):
            if key.startswith(prefix):
                parts.add(key[len(prefix) :])  # a conversation's id, whatever it holds
        if parts & names:
            found.append(key)
    return found


def _web_sessions_of(redis: Any, member_number: str) -> list[str]:
    """A web session vouched for by a coop site holds the member number as its value."""
    from bot.membership.web_identity import KEY

    return [
        _decoded(k)
        for k in redis.scan_iter(match=KEY + "*", count=500)
        if _decoded(redis.get(k) or "") == member_number
    ]


def erase_member(
    redis: Any,
    consents: ConsentStore,
    stores: Sequence[MemberRecords],
    member: Member,
    sender: str,
) -> ErasureReport:
    """Erase every record of this member on every channel (the asking conversation at the end of
    its turn, through `request_erasure`); the coop's member file and the audit trail stay."""
    found = footprint(redis, member, sender)
    records = sum(store.erase_member(found.member_number, found.phones, found.conversations) for store in stores)
    erased_consents = consents.erase({*found.conversations, *found.phones})
    conversation_keys = [k for c in found.conversations for k in tracker_keys(c) if redis.exists(k)]
    keys = sorted({*_keys_naming(redis, found.names()), *_web_sessions_of(redis, member.number), *conversation_keys})
    trackers = [k for k in keys if k.startswith(TRACKER_PREFIX)]
    if keys:
        redis.delete(*keys)
    request_erasure(redis, sender)
    return ErasureReport(records, erased_consents, len(trackers) + 1, len(keys))


def _erase_key(sender_id: str) -> str:
    return ERASE_KEY.format(pseudonym(sender_id))


def request_erasure(redis: Any, sender_id: str) -> None:
    redis.set(_erase_key(sender_id), "1", ex=ERASE_MARKER_SECONDS)


def take_erasure_request(redis: Any, sender_id: str) -> bool:
    """Whether this conversation must be erased now (the marker is used up)."""
    return bool(redis.delete(_erase_key(sender_id)))


@dataclass(frozen=True)
class Holdings:
    """What the assistant holds about a member, for their access request."""

    consent: dict[str, str]  # the answer in force (empty when none)
    conversations: int
    open_tickets: int
    upcoming_bookings: int


@dataclass(frozen=True)
class DataRights:
    """A member's access and erasure requests over the stores that hold their records.

    `stores` are those that can erase a member's records (the handoff desk, the booking store);
    `desk` and `bookings` are read for the access summary."""

    redis: Any
    consents: ConsentStore
    stores: Sequence[MemberRecords]
    desk: Any
    bookings: Any
    audit: AuditLog | None = None  # each request is recorded, its subject pseudonymised

    def holdings(self, sender: str, member: Member, now: datetime) -> Holdings:
        found = footprint(self.redis, member, sender)
        tickets = {t.id for t in (self.desk.open_ticket_of(c) for c in found.conversations) if t is not None}
        if self.audit is not None:
            self.audit.record("droits_acces", "fait", member.number)
        return Holdings(
            consent=self.consents.entry(sender),
            conversations=len(found.conversations),
            open_tickets=len(tickets),
            upcoming_bookings=len(self.bookings.upcoming_for_member(member.number, now)),
        )

    def erase(self, sender: str, member: Member) -> ErasureReport:
        report = erase_member(self.redis, self.consents, self.stores, member, sender)
        if self.audit is not None:
            self.audit.record("droits_effacement", "fait", member.number)
        return report


def data_summary(member: Member, holdings: Holdings, retention_days: float, say: Callable[..., str]) -> str:
    """A short summary of what the assistant holds about a verified member, in their language."""
    consent = holdings.consent
    consent_line = (
        say(
            "donnees.consentement",
            reponse=consent.get("reponse", "?"),
            date=consent.get("horodatage", "?")[:10],
            version=consent.get("version", "?"),
        )  # fmt: skip
        if consent
        else say("donnees.sans_consentement")
    )
    return say(
        "donnees.resume",
        numero=member.number,
        membre_nom=f"{member.first_name} {member.last_name}",
        naissance=member.birth_date.isoformat(),
        fin_telephone=member.phone[-2:],
        statut=member.status,
        consentement=consent_line,
        conversations=holdings.conversations,
        demandes=holdings.open_tickets,
        rdv=holdings.upcoming_bookings,
        jours=f"{retention_days:g}",
    )
