"""What a turn looks things up in and writes to, passed in so that tests can use real stores or fakes.

actions/turn.py builds these from Redis and the process's settings; tests build them from a test
Redis (bot stores are plain classes over a Redis client) or from small fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.answers import AnswerFinder
from bot.booking.availability import Availability, BookingRules
from bot.booking.store import BookingStore, ReminderMarks
from bot.content import Content
from bot.handoff.desk import HandoffDesk
from bot.membership.consent import ConsentNotice, ConsentStore
from bot.membership.store import MemberRegistry
from bot.membership.verification import Verifier
from bot.records.privacy import DataRights


class CodeSender(Protocol):
    def __call__(self, phone: str, text: str, coop_id: str) -> None:
        """Send a one-time code by SMS to a member's phone on file."""


@dataclass(frozen=True)
class Services:
    content: Content
    answers: AnswerFinder
    labels: Callable[[Iterable[str], str], list[str]]  # finding ids -> what the member described
    consent_notice: ConsentNotice
    consents: ConsentStore
    registry: MemberRegistry
    verifier: Verifier
    send_code: CodeSender
    vouched_member: Callable[[str], str | None]  # a web session a coop site vouched for (JWT)
    handoff: HandoffDesk
    booking_rules: BookingRules
    availability: Availability
    bookings: BookingStore
    reminders: ReminderMarks
    data_rights: DataRights  # a member's access and erasure requests (bot/records/privacy.py)
    retention_days: float
    public_base_url: str = ""
    ics_link: Callable[[str], str] | None = None  # booking id -> a signed link to its .ics file

    def now(self) -> datetime:
        from bot.booking.availability import QUEBEC

        return datetime.now(QUEBEC)
