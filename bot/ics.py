"""A booking as an iCalendar file (RFC 5545), for members who book on the web, behind an unguessable link.

The link carries an HMAC of the booking id with a secret kept in Redis (created on first use), so
that nobody can list other members' appointments by trying ids.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.availability import BookingRules
from bot.bookings import Booking

SECRET_KEY = "coopsante:secret:ics"


def link_key(redis: Any, booking_id: str) -> str:
    redis.set(SECRET_KEY, secrets.token_hex(32), nx=True)
    secret = str(redis.get(SECRET_KEY))
    return hmac.new(secret.encode(), booking_id.encode(), hashlib.sha256).hexdigest()[:32]


def key_matches(redis: Any, booking_id: str, key: str) -> bool:
    return hmac.compare_digest(link_key(redis, booking_id), key)


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def booking_ics(booking: Booking, rules: BookingRules, coop_name: str) -> str:
    summary = (
        f"Téléconsultation ({rules.modality_labels[booking.modality]}) avec {rules.labels[booking.clinician_type]}"
    )
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Coop Sante Triage//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{booking.id}@coopsante",
        f"DTSTAMP:{_stamp(datetime.now(UTC))}",
        f"DTSTART:{_stamp(booking.start)}",
        f"DTEND:{_stamp(booking.start + timedelta(minutes=booking.minutes))}",
        f"SUMMARY:{_escape(summary)}",
        f"DESCRIPTION:{_escape(rules.join[booking.modality] + ' ' + coop_name)}",
        "STATUS:CONFIRMED" if booking.status == "confirme" else "STATUS:CANCELLED",
        "BEGIN:VALARM",
        "TRIGGER:-PT1H",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_escape(summary)}",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"
