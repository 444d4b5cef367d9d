"""What the action server builds once per process: content, the answer finder, stores over one Redis."""

from __future__ import annotations

import os
from functools import cache

import redis
from sqlalchemy.engine import Engine

from bot.answers import AnswerFinder, load_answer_finder
from bot.attempts import AttemptLimiter
from bot.audit import AuditLog
from bot.availability import Availability, load_rules
from bot.bookings import BookingStore, ReminderMarks
from bot.consent import ConsentStore, load_notice
from bot.content import Content, load_content
from bot.dialogue.services import Services
from bot.handoff import HandoffDesk
from bot.ics import link_key
from bot.member_store import MemberRegistry
from bot.otp import OneTimeCodes
from bot.privacy import DataRights, MemberRecords
from bot.records.database import engine_for
from bot.settings import PROJECT_ROOT, load_settings
from bot.sms_keywords import OptOuts
from bot.sms_sender import SmsSender, TwilioSettings
from bot.triage.table import load_table
from bot.verification import Verifier
from bot.web_identity import WebIdentities


@cache
def content() -> Content:
    settings = load_settings()
    return load_content(settings.content_dir, settings.default_coop)


@cache
def answer_finder() -> AnswerFinder:
    return load_answer_finder(content(), PROJECT_ROOT / "data" / "faq")


@cache
def redis_client() -> redis.Redis[str]:
    return redis.Redis.from_url(load_settings().redis_url, decode_responses=True, socket_timeout=10)


@cache
def database() -> Engine:
    """The system of record (DATABASE_URL); the engine connects on first use, not here."""
    url = load_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set: `make run` starts PostgreSQL and sets it")
    return engine_for(url)


@cache
def finding_labels() -> dict[str, dict[str, str]]:
    return {f.id: dict(f.label) for f in load_table(load_settings().safety_dir).findings}


def labels(ids: object, language: str) -> list[str]:
    table = finding_labels()
    return [table[i].get(language) or table[i]["fr"] for i in ids if isinstance(i, str) and i in table]  # type: ignore[attr-defined]


def sms_sender() -> SmsSender:
    """Twilio, as configured in this process's environment (read on each use: cheap, and tests change it)."""
    return SmsSender(TwilioSettings.from_env(), OptOuts(redis_client()))


def services(client: redis.Redis[str] | None = None, engine: Engine | None = None) -> Services:
    """Everything a turn needs, over one Redis and one PostgreSQL (this process's own unless a test
    passes them)."""
    settings = load_settings()
    client = client if client is not None else redis_client()
    engine = engine if engine is not None else database()
    registry = MemberRegistry(engine)
    audit = AuditLog(engine, settings.audit_retention_days)
    consents = ConsentStore(engine, settings.consent_retention_days)
    desk = HandoffDesk(client, settings.tracker_retention_seconds)
    bookings = BookingStore(client)
    # The stores that hold tickets and bookings erase a member's records once they are in
    # PostgreSQL (issue 16, the `desk` branch); until then they are left out.
    erasers: list[MemberRecords] = [s for s in (desk, bookings) if hasattr(s, "erase_member")]

    def send_code(phone: str, text: str, coop_id: str) -> None:
        coop = content().coop(coop_id)
        sms_sender().send(phone, text, from_number=coop.sms_number or None)

    base = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    return Services(
        content=content(),
        answers=answer_finder(),
        labels=labels,
        consent_notice=load_notice(settings.content_dir),
        consents=consents,
        registry=registry,
        verifier=Verifier(registry, AttemptLimiter(client), OneTimeCodes(client), audit),
        send_code=send_code,
        vouched_member=WebIdentities(client).member,
        handoff=desk,
        booking_rules=load_rules(settings.content_dir),
        availability=Availability(client),
        bookings=bookings,
        reminders=ReminderMarks(client),
        data_rights=DataRights(client, consents, erasers, desk, bookings, audit),
        retention_days=settings.tracker_retention_days,
        public_base_url=base,
        ics_link=lambda booking_id: f"{base}/webhooks/web/rdv/{booking_id}.ics?cle={link_key(client, booking_id)}",
    )
