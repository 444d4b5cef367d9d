"""The booking invitation (.ics, bot/booking/ics.py): RFC 5545 lines of at most 75 octets, the same fields."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from bot.booking.availability import load_rules
from bot.booking.ics import booking_ics
from bot.booking.store import Booking

RULES = load_rules(Path(__file__).resolve().parents[2] / "content")
LONG_COOP = "Coopérative de solidarité santé des Hautes-Laurentides, point de service de Sainte-Agathe; salle 2"


def booking(status: str = "confirme") -> Booking:
    start = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("America/Toronto"))
    return Booking(
        "b-1", "s", "VM-000101", "Membre Test", "+18195550101", "sms", "val-morin", "consultation", {}, "video",
        "dre@coop.example", "medecin", start, 15, status,
    )  # fmt: skip


def test_long_lines_are_folded_at_75_octets_and_read_back_whole() -> None:
    text = booking_ics(booking(), RULES, LONG_COOP)
    lines = text.split("\r\n")
    assert text.endswith("END:VCALENDAR\r\n") and lines[-1] == ""
    assert max(len(line.encode("utf-8")) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # the description was folded, between whole characters
    for line in lines:
        line.encode("utf-8").decode("utf-8")
    [event] = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Téléconsultation (vidéo) avec un médecin"
    assert str(event["DESCRIPTION"]).endswith(" " + LONG_COOP)


def test_the_same_fields_as_before() -> None:
    text = booking_ics(booking(), RULES, "Coop Val-Morin")
    names = [line.split(":")[0] for line in text.split("\r\n") if line and not line.startswith(" ")]
    assert names == [
        "BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD", "BEGIN", "UID", "DTSTAMP", "DTSTART", "DTEND",
        "SUMMARY", "DESCRIPTION", "STATUS", "BEGIN", "TRIGGER", "ACTION", "DESCRIPTION", "END", "END", "END",
    ]  # fmt: skip
    assert "UID:b-1@coopsante\r\n" in text
    assert "DTSTART:20261124T140000Z\r\nDTEND:20261124T141500Z\r\n" in text
    assert "STATUS:CONFIRMED\r\n" in text and "TRIGGER:-PT1H\r\n" in text
    assert "STATUS:CANCELLED\r\n" in booking_ics(booking("annule"), RULES, "Coop Val-Morin")
