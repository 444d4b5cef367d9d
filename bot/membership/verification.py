"""The identity checks behind the membership gate. Nothing here reveals whether a phone or a
member number exists: every failure reads the same to the person typing.

By SMS, the sender's phone finds the candidate members (a family may share one phone) and the
date of birth picks one; failures count against the phone alone (bot/membership/attempts.py), so that what
strangers try on the web never locks a member out of their own phone. On the web, member number
and date of birth lead to a one-time code sent to the phone on file, bound to the chat session;
whether or not they matched, the session goes through the same steps (a decoy code when they did
not), and each try counts against the session and the number typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.membership.attempts import AttemptLimiter
from bot.membership.birthdate import parse_birth_date
from bot.membership.members import Member, normalise_phone
from bot.membership.otp import OneTimeCodes
from bot.membership.store import MemberRegistry
from bot.platform.audit import AuditLog


@dataclass(frozen=True)
class Outcome:
    """`status` is verified, not_a_date, failed, ask_first_name, code_sent, locked or expired."""

    status: str
    member: Member | None = None
    retry_after_seconds: int = 0


@dataclass(frozen=True)
class CodeDelivery:
    """A code to text to a member's phone on file: the caller sends it, off the reply's path."""

    phone: str
    coop: str
    code: str


@dataclass(frozen=True)
class Verifier:
    registry: MemberRegistry
    limiter: AttemptLimiter
    codes: OneTimeCodes
    audit: AuditLog

    def by_sms(self, sender_phone: str, typed_birth_date: str, first_name: str | None = None) -> Outcome:
        """Check the date of birth typed by the owner of `sender_phone` (E.164)."""
        if self.limiter.locked(sender_phone):
            self.audit.record("verification_sms", "verrouille", sender_phone)
            return Outcome("locked", retry_after_seconds=self.limiter.retry_after(sender_phone))
        candidates = self.registry.by_phone(sender_phone)
        subjects = [sender_phone, *(m.number for m in candidates)]
        readings = parse_birth_date(typed_birth_date)
        if not readings:
            return Outcome("not_a_date")
        matches = [m for m in candidates if m.birth_date in readings]
        if len(matches) > 1 and first_name:
            wanted = first_name.strip().casefold()
            matches = [m for m in matches if m.first_name.casefold() == wanted]
        if len(matches) == 1:
            self.limiter.clear(sender_phone)
            self.audit.record("verification_sms", "reussie", sender_phone, matches[0].number)
            return Outcome("verified", matches[0])
        if len(matches) > 1:
            return Outcome("ask_first_name")  # twins sharing a phone: the first name tells them apart
        self.limiter.fail(sender_phone)
        self.audit.record("verification_sms", "echec", *subjects)
        return Outcome("failed")

    def start_web(self, session: str, member_number: str, typed_birth_date: str) -> tuple[Outcome, CodeDelivery | None]:
        """Member number and date of birth: the outcome is `code_sent` whether or not they matched,
        and the session gets a code either way (a decoy when they did not); the delivery, when
        there is one, is the caller's to send. Every try counts once against the session and the
        number typed, match or not, so that neither the reply nor the lock tells them apart."""
        number = member_number.strip().upper()
        if self.limiter.locked(session, number):
            self.audit.record("verification_web", "verrouille", session, number)
            return Outcome("locked", retry_after_seconds=self.limiter.retry_after(session, number)), None
        readings = parse_birth_date(typed_birth_date)
        if not readings:
            return Outcome("not_a_date"), None
        member = self.registry.get(number) if number else None
        matched = member is not None and member.birth_date in readings
        self.limiter.fail(session, number)
        sendable = self.codes.may_send(number, spend=matched)
        code = self.codes.issue(session, number, real=matched and sendable)
        if member is None or not matched:
            self.audit.record("verification_web", "echec", session, number)
            return Outcome("code_sent"), None
        if not sendable:
            self.audit.record("verification_web", "codes_limite", session, number)
            return Outcome("code_sent"), None
        self.audit.record("verification_web", "code_envoye", session, number)
        return Outcome("code_sent"), CodeDelivery(member.phone, member.coop, code)

    def finish_web(self, session: str, typed_code: str) -> Outcome:
        """The code typed in the session that passed the date step (a code sent for another
        session is worth nothing here)."""
        number = self.codes.pending(session)
        if self.limiter.locked(session, number):
            self.audit.record("code_web", "verrouille", session, number)
            return Outcome("locked", retry_after_seconds=self.limiter.retry_after(session, number))
        result, verified_number = self.codes.check(session, typed_code)
        member = self.registry.get(verified_number) if result == "ok" else None
        if member is not None:
            self.limiter.clear(session, verified_number)
            self.audit.record("code_web", "reussie", session, verified_number)
            return Outcome("verified", member)
        self.limiter.fail(session, number)
        self.audit.record("code_web", "echec", session, number)
        return Outcome("expired" if result == "expired" else "failed")


def eligibility(member: Member, today: date | None = None) -> str:
    """'ok', or why the telemedicine service is closed: 'expire', 'suspendu' or 'sans_plan'."""
    today = today or date.today()
    if member.status != "actif":
        return member.status
    if member.telemedicine_until is None or member.telemedicine_until < today:
        return "sans_plan"
    return "ok"


CALL_SEPARATOR = "~"  # a phone call's conversation is "<caller's phone>~<CallSid>": one per call


def call_sender(phone: str, call_sid: str) -> str:
    """The conversation of one phone call (channels/voice.py): the caller's phone, then the call."""
    return f"{phone}{CALL_SEPARATOR}{call_sid}"


def phone_of_sender(sender_id: str) -> str | None:
    """The E.164 phone when the conversation is an SMS one (the sender id is the phone) or a phone call's."""
    phone = sender_id.split(CALL_SEPARATOR, 1)[0]
    if not phone.startswith("+"):
        return None
    try:
        return normalise_phone(phone)
    except ValueError:
        return None
