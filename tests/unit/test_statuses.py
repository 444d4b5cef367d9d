"""Ticket and booking statuses are enums whose values are the French words PostgreSQL stores."""

import re
from enum import StrEnum

import pytest

from bot.booking.store import BookingStatus
from bot.handoff.desk import TicketStatus
from bot.platform.settings import PROJECT_ROOT

MIGRATION = PROJECT_ROOT / "migrations" / "versions" / "0002_handoff_and_bookings.py"


@pytest.mark.parametrize(
    ("enum", "constraint"), [(TicketStatus, "handoff_tickets_status"), (BookingStatus, "bookings_status")]
)
def test_the_values_are_what_the_database_accepts(enum: type[StrEnum], constraint: str) -> None:
    found = re.search(
        rf"CONSTRAINT {constraint} CHECK \(status IN \(([^)]*)\)\)", MIGRATION.read_text(encoding="utf-8")
    )
    assert found, constraint
    assert {member.value for member in enum} == set(re.findall(r"'([a-z]+)'", found.group(1)))


def test_a_status_compares_and_prints_as_its_stored_word() -> None:
    stored: dict[str, str] = {TicketStatus.CLOSED: "x"}
    assert stored["ferme"] == "x" and f"{BookingStatus.CONFIRMED}" == "confirme"
