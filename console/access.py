"""Who may see what in the console: coops, roles, and the logged break-glass on closed tickets.

A clinician sees the tickets of their coops only; another coop's ticket reads as missing (404),
so that its existence is not revealed. Admins (coop or federation) see no clinical content. A
closed ticket stays readable by the clinician who held it; any other clinician of its coop opens
it only through a break-glass access with a reason, which goes to the audit trail and lasts an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.handoff.clinicians import Clinician
from bot.handoff.desk import Ticket, TicketStatus

BREAK_GLASS_KEY = "coopsante:console:bris:"
BREAK_GLASS_SECONDS = 3600
MIN_REASON, MAX_REASON = 10, 300


def sees_ticket(clinician: Clinician, ticket: Ticket) -> bool:
    """The ticket belongs to one of the clinician's coops (admins see no ticket)."""
    return clinician.is_clinical and clinician.member_of(ticket.coop)


def needs_break_glass(clinician: Clinician, ticket: Ticket) -> bool:
    """A closed ticket someone else held."""
    return ticket.status == TicketStatus.CLOSED and ticket.clinician != clinician.email


def sees_audit_of(clinician: Clinician, coop: str) -> bool:
    return clinician.is_federation or (clinician.is_admin and clinician.member_of(coop))


def sees_dashboard_of(clinician: Clinician, coop: str) -> bool:
    """A coop manager reads the service figures of their own coops, and no one else's."""
    return clinician.is_manager and clinician.member_of(coop)


def clean_reason(text: str) -> str:
    """The break-glass reason as stored: one line, trimmed; "" when too short or too long."""
    reason = " ".join(text.split())
    return reason if MIN_REASON <= len(reason) <= MAX_REASON else ""


@dataclass(frozen=True)
class BreakGlass:
    redis: Any

    def _key(self, clinician: str, ticket_id: str) -> str:
        return f"{BREAK_GLASS_KEY}{clinician}:{ticket_id}"

    def grant(self, clinician: str, ticket_id: str) -> None:
        self.redis.set(self._key(clinician, ticket_id), "1", ex=BREAK_GLASS_SECONDS)

    def granted(self, clinician: str, ticket_id: str) -> bool:
        return bool(self.redis.exists(self._key(clinician, ticket_id)))
