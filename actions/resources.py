"""Content and triage rules, loaded once per action server process, on first use."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import redis
from rasa_sdk import Tracker

from bot.attempts import AttemptLimiter
from bot.audit import AuditLog
from bot.availability import Availability, BookingRules, load_rules
from bot.booking_flow import Desk
from bot.bookings import BookingStore, ReminderMarks
from bot.consent import ConsentNotice, ConsentStore, load_notice
from bot.content import Content, load_content
from bot.handoff import HandoffDesk
from bot.member_store import MemberRegistry
from bot.otp import OneTimeCodes
from bot.settings import load_settings
from bot.sms_keywords import OptOuts
from bot.sms_sender import SmsSender, TwilioSettings
from bot.triage import Triage, load_triage
from bot.verification import Verifier
from bot.web_identity import WebIdentities


@cache
def content() -> Content:
    settings = load_settings()
    return load_content(settings.content_dir, settings.default_coop)


@cache
def triage() -> Triage:
    return load_triage(load_settings().safety_dir)


@cache
def redis_client() -> redis.Redis[str]:
    return redis.Redis.from_url(load_settings().redis_url, decode_responses=True)


@cache
def consent_notice() -> ConsentNotice:
    return load_notice(load_settings().content_dir)


def consent_store() -> ConsentStore:
    return ConsentStore(redis_client())


def registry() -> MemberRegistry:
    return MemberRegistry(redis_client())


def verifier() -> Verifier:
    client = redis_client()
    return Verifier(MemberRegistry(client), AttemptLimiter(client), OneTimeCodes(client), AuditLog(client))


def sms_sender() -> SmsSender:
    """Twilio, as configured in this process's environment (read on each use: cheap, and tests change it)."""
    return SmsSender(TwilioSettings.from_env(), OptOuts(redis_client()))


@cache
def booking_rules() -> BookingRules:
    return load_rules(load_settings().content_dir)


def booking_desk(now: datetime, summary: dict[str, str] | None = None) -> Desk:
    client = redis_client()
    return Desk(booking_rules(), Availability(client), BookingStore(client), now, summary or {})


def reminder_marks() -> ReminderMarks:
    return ReminderMarks(redis_client())


def handoff_desk() -> HandoffDesk:
    return HandoffDesk(redis_client(), load_settings().tracker_retention_seconds)


def web_identities() -> WebIdentities:
    return WebIdentities(redis_client())


def coop_id(tracker: Tracker) -> str | None:
    """The conversation's coop: its `coop` slot, else the `coop` field of the message metadata."""
    slot = tracker.get_slot("coop")
    if slot:
        return str(slot)
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    value = metadata.get("coop")
    return str(value) if value else None


def latest_intent(tracker: Tracker) -> str:
    """The intent of the member's latest message (the one that triggered the action)."""
    intent: dict[str, Any] = tracker.latest_message.get("intent") or {}
    return str(intent.get("name") or "")
