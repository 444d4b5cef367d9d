"""A booking as an iCalendar file (RFC 5545, written by `icalendar`: escaped, lines folded at 75 octets),
for members who book on the web, behind an unguessable link.

The link carries an HMAC of the booking id with a secret kept in Redis (created on first use), so
that nobody can list other members' appointments by trying ids.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Alarm, Calendar, Event

from bot.booking.availability import BookingRules
from bot.booking.store import Booking, BookingStatus

SECRET_KEY = "coopsante:secret:ics"


def link_key(redis: Any, booking_id: str) -> str:
    redis.set(SECRET_KEY, secrets.token_hex(32), nx=True)
    secret = str(redis.get(SECRET_KEY))
    return hmac.new(secret.encode(), booking_id.encode(), hashlib.sha256).hexdigest()[:32]


def key_matches(redis: Any, booking_id: str, key: str) -> bool:
    return hmac.compare_digest(link_key(redis, booking_id), key)


def booking_ics(booking: Booking, rules: BookingRules, coop_name: str) -> str:
    """The booking as a one-event calendar with a reminder an hour before; lines folded at 75 octets."""
    summary = (
        f"Téléconsultation ({rules.modality_labels[booking.modality]}) avec {rules.labels[booking.clinician_type]}"
    )
    event = Event()
    event.add("UID", f"{booking.id}@coopsante")
    event.add("DTSTAMP", datetime.now(UTC).replace(microsecond=0))
    event.add("DTSTART", booking.start.astimezone(UTC))
    event.add("DTEND", (booking.start + timedelta(minutes=booking.minutes)).astimezone(UTC))
    event.add("SUMMARY", summary)
    event.add("DESCRIPTION", rules.join[booking.modality] + " " + coop_name)
    event.add("STATUS", "CONFIRMED" if booking.status == BookingStatus.CONFIRMED else "CANCELLED")
    alarm = Alarm()
    alarm.add("TRIGGER", timedelta(hours=-1))
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", summary)
    event.add_component(alarm)
    calendar = Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//Coop Sante Triage//FR")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    calendar.add_component(event)
    return str(calendar.to_ical(sorted=False).decode("utf-8"))
