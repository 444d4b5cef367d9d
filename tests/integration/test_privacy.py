"""A member's erasure and access requests cover every record on every channel (bot/records/privacy.py).

Tickets and bookings are still in Redis on this branch; the stores that move them to PostgreSQL
(`HandoffDesk.erase_member`, `BookingStore.erase_member`, the `desk` branch) are stood in for here
by small in-test stores with the same methods; everything else is the real thing: Redis,
PostgreSQL, the consent store, the audit trail, the registry."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.membership.attempts import AttemptLimiter
from bot.membership.consent import ConsentStore, load_notice
from bot.membership.members import Member
from bot.membership.otp import OneTimeCodes
from bot.membership.store import MemberRegistry
from bot.membership.verification import call_sender
from bot.membership.web_identity import WebIdentities
from bot.platform.audit import AuditLog
from bot.platform.pseudonym import pseudonym
from bot.platform.tracker_keys import TRACKER_PREFIX
from bot.records.privacy import DataRights, take_erasure_request
from bot.sms.keywords import OptOuts
from tests.footprint import database_dump, redis_dump

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+18195550101"
GISELE = Member("VM-000101", "Gisèle", "Tremblay", date(1948, 3, 12), PHONE, "val-morin", "actif", None)
OTHER = Member("VM-000200", "Paul", "Roy", date(1950, 1, 1), "+18195550199", "val-morin", "actif", None)


@dataclass
class Held:
    member_number: str
    conversation: str
    phone: str


@dataclass
class StandIn:
    """A store of tickets or bookings with the methods the `desk` branch gives the real ones."""

    records: list[Held] = field(default_factory=list)
    calls: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)

    def erase_member(self, member_number: str, phones: Sequence[str], conversations: Sequence[str]) -> int:
        self.calls.append((member_number, tuple(phones), tuple(conversations)))
        mine = [
            r
            for r in self.records
            if r.member_number == member_number or r.phone in phones or r.conversation in conversations
        ]
        self.records = [r for r in self.records if r not in mine]
        return len(mine)

    def open_ticket_of(self, conversation: str) -> Any:
        held = [r for r in self.records if r.conversation == conversation]
        return type("Ticket", (), {"id": f"T-{conversation}"})() if held else None

    def upcoming_for_member(self, member_number: str, now: datetime) -> list[Held]:
        return [r for r in self.records if r.member_number == member_number]


def tracker(redis: Any, sender: str, *texts: str) -> None:
    events = [{"event": "user", "text": t} for t in texts]
    redis.set(TRACKER_PREFIX + sender, json.dumps({"sender_id": sender, "events": events}), ex=3600)


def a_member_everywhere(redis: Any, database: Any) -> tuple[DataRights, StandIn, StandIn]:
    """Gisèle texts, chats on the web (identified there) and calls; Paul, another member, chats too."""
    MemberRegistry(database).upsert([GISELE, OTHER])
    notice = load_notice(ROOT / "content")
    consents = ConsentStore(database)
    for sender, channel in ((PHONE, "sms"), ("web-gisele", "web"), ("web-paul", "web")):
        consents.record(sender, notice, channel, accepted=True)
    tracker(redis, PHONE, "je voudrais parler à une infirmière", "1948-03-12")
    tracker(redis, "web-gisele", "mon numéro est VM-000101")
    tracker(redis, call_sender(PHONE, "CA0123"), "une toux depuis 3 jours")
    tracker(redis, "web-vouched", "bonjour")  # a session a coop site vouched for
    tracker(redis, "web-paul", "VM-000200")
    tracker(redis, "web-near", "VM-0001012")  # another member whose number begins the same
    WebIdentities(redis).remember("web-vouched", GISELE.number, 600)
    WebIdentities(redis).remember("web-paul", OTHER.number, 600)
    AttemptLimiter(redis).fail(PHONE, GISELE.number)
    AttemptLimiter(redis).fail("web-paul", OTHER.number)
    OneTimeCodes(redis).issue("web-gisele", GISELE.number)
    OneTimeCodes(redis).issue("web-near", GISELE.number + "2")  # another member whose number begins the same
    redis.set("coopsante:sms:choix:" + pseudonym(PHONE), '["1"]', ex=600)
    OptOuts(redis).stop(PHONE, "sms")
    AuditLog(database).record("verification_sms", "reussie", PHONE, GISELE.number)
    desk = StandIn([Held(GISELE.number, "web-gisele", PHONE), Held(OTHER.number, "web-paul", OTHER.phone)])
    bookings = StandIn([Held(GISELE.number, PHONE, PHONE), Held(OTHER.number, "web-paul", OTHER.phone)])
    return DataRights(redis, consents, [desk, bookings], desk, bookings, AuditLog(database)), desk, bookings


def everything(redis: Any, database: Any) -> str:
    return redis_dump(redis) + "\n" + database_dump(database)


def test_an_erasure_over_sms_covers_every_channel_and_every_store(redis_client: Any, database: Any) -> None:
    rights, desk, bookings = a_member_everywhere(redis_client, database)
    report = rights.erase(PHONE, GISELE)

    number, phones, conversations = desk.calls[0]
    assert (number, phones) == (GISELE.number, (PHONE,))
    assert {PHONE, "web-gisele", call_sender(PHONE, "CA0123"), "web-vouched"} <= set(conversations)
    assert "web-paul" not in conversations
    assert bookings.calls == desk.calls and report.records == 2
    assert [r.member_number for r in desk.records + bookings.records] == [OTHER.number, OTHER.number]

    consents = ConsentStore(database)
    assert consents.history(PHONE) == [] and consents.history("web-gisele") == []
    assert consents.current("web-paul", load_notice(ROOT / "content"))

    left = everything(redis_client, database)
    for clear in (PHONE, "5550101", GISELE.number, "Gisèle", "Tremblay", "web-gisele", "web-vouched"):
        assert not re.search(re.escape(clear) + "(?![0-9])", left), f"{clear} is still held"
    named = {pseudonym(v) for v in (PHONE, GISELE.number, "web-gisele", "web-vouched", call_sender(PHONE, "CA0123"))}
    keys = [k for k in redis_client.keys("*") if any(p in k for p in named)]
    assert sorted(k.rsplit(":", 1)[0] for k in keys) == ["coopsante:effacer", "coopsante:sms:desabonne"]
    assert take_erasure_request(redis_client, PHONE)  # the asking conversation goes at the end of its turn

    # Another member's records, the audit trail and the coop's member file stay.
    assert redis_client.exists(TRACKER_PREFIX + "web-paul") and WebIdentities(redis_client).member("web-paul")
    assert redis_client.exists("coopsante:otp:" + pseudonym("web-near"))
    assert redis_client.exists(TRACKER_PREFIX + "web-near")
    assert [e["event"] for e in AuditLog(database).entries("security")] == ["droits_effacement", "verification_sms"]
    assert MemberRegistry(database).get(GISELE.number) == GISELE


def test_the_access_summary_counts_every_channel(redis_client: Any, database: Any) -> None:
    rights, _, _ = a_member_everywhere(redis_client, database)
    held = rights.holdings(PHONE, GISELE, datetime.now(UTC) - timedelta(minutes=1))
    assert held.consent["reponse"] == "oui"
    assert (held.conversations, held.open_tickets, held.upcoming_bookings) == (4, 1, 1)  # SMS, call, 2 web


def test_a_member_who_erases_by_sms_is_told_what_stays(clinic: Any) -> None:
    """Through the dialogue: the whole footprint goes, and the reply says what the coop keeps."""
    member = clinic.eligible_member()
    tracker(clinic.redis, "web-elsewhere", f"mon numéro de membre est {member.number}")
    notice = load_notice(ROOT / "content")
    clinic.services.consents.record("web-elsewhere", notice, "web", accepted=True)
    conversation = clinic.conversation("sms", sender=member.phone)
    conversation.say("effacez mes données")
    reply = conversation.text(member.birth_date.isoformat())
    assert "effacé" in reply and "dossier de membre" in reply and "registre des accès" in reply
    assert conversation.erased
    assert not clinic.redis.exists(TRACKER_PREFIX + "web-elsewhere")
    assert clinic.services.consents.history("web-elsewhere") == []


def test_an_erasure_asked_in_the_middle_of_a_form_is_done(clinic: Any) -> None:
    """It was taken for a wrong answer to the form's question ("Pour continuer: ...")."""
    member = clinic.eligible_member()
    conversation = clinic.conversation("sms", sender=member.phone)
    conversation.say("je voudrais un rendez-vous avec un médecin pour une verrue")
    conversation.say("oui")
    assert "pour vous" in conversation.text(member.birth_date.isoformat())
    assert "effacé" in conversation.text("effacez mes données") and conversation.erased
    assert clinic.services.consents.history(member.phone) == []
