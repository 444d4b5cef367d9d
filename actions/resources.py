"""What the action server builds once per process: content, the answer finder, stores over Redis and PostgreSQL."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from pathlib import Path

import redis
from sqlalchemy.engine import Engine

from bot.answers import AnswerFinder, load_answer_finder
from bot.booking.availability import Availability, BookingRules, load_rules
from bot.booking.ics import link_key
from bot.booking.store import BookingStore, ReminderMarks
from bot.content import Content, load_content
from bot.dialogue.services import Services
from bot.handoff.desk import HandoffDesk
from bot.membership.attempts import AttemptLimiter
from bot.membership.consent import ConsentNotice, ConsentStore, load_notice
from bot.membership.otp import OneTimeCodes
from bot.membership.store import MemberRegistry
from bot.membership.verification import Verifier
from bot.membership.web_identity import WebIdentities
from bot.platform.audit import AuditLog
from bot.platform.redis_clients import sync_client
from bot.platform.settings import PROJECT_ROOT, load_settings
from bot.records.database import shared_engine
from bot.records.privacy import DataRights
from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from bot.triage.table import load_table

log = logging.getLogger(__name__)


@cache
def content() -> Content:
    settings = load_settings()
    return load_content(settings.content_dir, settings.default_coop)


@cache
def answer_finder() -> AnswerFinder:
    return load_answer_finder(content(), PROJECT_ROOT / "data" / "faq")


@cache
def booking_rules(content_dir: Path) -> BookingRules:
    """Read once per process: the turn is on every member message (profiled: YAML was 10 % of it)."""
    return load_rules(content_dir)


@cache
def consent_notice(content_dir: Path) -> ConsentNotice:
    return load_notice(content_dir)


@cache
def redis_client() -> redis.Redis[str]:
    return sync_client()


@cache
def finding_labels() -> dict[str, dict[str, str]]:
    return {f.id: dict(f.label) for f in load_table(load_settings().safety_dir).findings}


def labels(ids: object, language: str) -> list[str]:
    table = finding_labels()
    return [table[i].get(language) or table[i]["fr"] for i in ids if isinstance(i, str) and i in table]  # type: ignore[attr-defined]


def sms_sender() -> SmsSender:
    """Twilio, as configured in this process's environment (read on each use: cheap, and tests change it)."""
    return SmsSender(TwilioSettings.from_env(), OptOuts(redis_client()))


_CODE_SENDING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="code-sms")


def _send_logged(sender: SmsSender, phone: str, text: str, from_number: str | None) -> None:
    try:
        sender.send(phone, text, from_number=from_number)
    except Exception:  # a thread's error would otherwise vanish; the member can ask again
        log.exception("code_sms.failed")


def send_in_background(sender: SmsSender, phone: str, text: str, from_number: str | None) -> Future[None]:
    """Text a one-time code off the reply's path: the identity check answers at once, match or
    not, so that the time it takes says nothing of whether a number and a date matched."""
    return _CODE_SENDING.submit(_send_logged, sender, phone, text, from_number)


def services(client: redis.Redis[str] | None = None, engine: Engine | None = None) -> Services:
    """Everything a turn needs, over one Redis and one PostgreSQL (this process's own unless a test
    passes them)."""
    settings = load_settings()
    client = client if client is not None else redis_client()
    engine = engine if engine is not None else shared_engine(settings.database_url)
    registry = MemberRegistry(engine)
    audit = AuditLog(engine, settings.audit_retention_days)
    consents = ConsentStore(engine, settings.consent_retention_days)
    desk = HandoffDesk(engine, client, settings.tracker_retention_seconds)
    bookings = BookingStore(engine)

    def send_code(phone: str, text: str, coop_id: str) -> None:
        coop = content().coop(coop_id)
        send_in_background(sms_sender(), phone, text, coop.sms_number or None)

    base = settings.twilio.public_base_url
    return Services(
        content=content(),
        answers=answer_finder(),
        labels=labels,
        consent_notice=consent_notice(settings.content_dir),
        consents=consents,
        registry=registry,
        verifier=Verifier(registry, AttemptLimiter(client), OneTimeCodes(client), audit),
        send_code=send_code,
        vouched_member=WebIdentities(client).member,
        handoff=desk,
        booking_rules=booking_rules(settings.content_dir),
        availability=Availability(engine),
        bookings=bookings,
        reminders=ReminderMarks(client),
        data_rights=DataRights(client, consents, [desk, bookings], desk, bookings, audit),
        retention_days=settings.tracker_retention_days,
        public_base_url=base,
        ics_link=lambda booking_id: f"{base}/webhooks/web/rdv/{booking_id}.ics?cle={link_key(client, booking_id)}",
    )
