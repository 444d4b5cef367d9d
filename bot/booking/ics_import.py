"""Clinicians' availability from an iCalendar (.ics) export: Google Calendar, Outlook, Apple...

The file is read by `icalendar` and recurrences (RRULE, RDATE, EXDATE, moved occurrences) are
expanded by `recurring-ical-events`: a weekly "available" event becomes one block per occurrence
from today to IMPORT_WEEKS weeks ahead (a recurrence has no end of its own; import again to go
further). A single event is imported wherever it falls, as before. Times with a TZID (IANA, or
Outlook's Windows names such as "Eastern Standard Time"), in UTC, or floating (taken as Quebec
time) all end as Quebec instants. An all-day event has no hours to book: it is set aside with a
note, never imported. A file that cannot be read raises ScheduleError with a message in French.

Only the import command needs these libraries: this module is apart from bot/booking/availability.py,
which the action server and the console import too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import recurring_ical_events
from icalendar.timezone import tzid_from_dt
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from bot.booking.availability import QUEBEC, Block, ScheduleError, _aware

IMPORT_WEEKS = 8
# Outlook writes Windows zone names; Quebec's is "Eastern Standard Time" (New York in the CLDR table).
WINDOWS_ZONES = {**WINDOWS_TO_OLSON, "Eastern Standard Time": QUEBEC.key}


@dataclass
class IcsImport:
    blocks: list[Block] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one French note per event set aside


def parse_ics(
    text: str,
    clinician: str,
    clinician_type: str,
    coop: str,
    modalities: Sequence[str],
    today: date | None = None,
) -> IcsImport:
    """Blocks of the VEVENTs of an iCalendar file; recurrences from `today` (Quebec) to IMPORT_WEEKS ahead."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as error:
        raise ScheduleError(f"ce fichier n'est pas un calendrier iCalendar lisible ({error})") from error
    if calendar.name != "VCALENDAR":
        raise ScheduleError("ce fichier n'est pas un calendrier iCalendar (BEGIN:VCALENDAR manquant)")
    first = today or datetime.now(QUEBEC).date()
    window = (
        _aware(datetime.combine(first, time())),
        _aware(datetime.combine(first + timedelta(weeks=IMPORT_WEEKS), time())),
    )
    result = IcsImport()
    seen: set[tuple[datetime, datetime]] = set()
    all_day: set[str] = set()

    def take(event: Any) -> None:
        start, end = event.get("DTSTART"), event.get("DTEND")
        if not isinstance(start.dt, datetime):
            key = str(event.get("UID") or f"{_name(event)} {start.dt}")
            if key not in all_day:
                all_day.add(key)
                result.skipped.append(f"{_name(event)} ({start.dt.isoformat()}): journée entière, sans heures, ignoré")
            return
        span = (_instant(start.dt), _instant(end.dt))
        if span in seen:
            return
        seen.add(span)
        try:
            result.blocks.append(Block(clinician.lower(), clinician_type, coop, tuple(modalities), *span))
        except ScheduleError as error:
            raise ScheduleError(f"{_name(event)} ({start.dt:%Y-%m-%d %H:%M}): {error}") from error

    try:
        events = calendar.walk("VEVENT")
        for event in events:
            _check(event)
        for occurrence in recurring_ical_events.of(calendar).between(*window):
            take(occurrence)
        for event in events:  # a single event outside the window, imported as before
            if not any(k in event for k in ("RRULE", "RDATE", "RECURRENCE-ID")):
                take(_with_end(event))
    except ScheduleError:
        raise
    except (ValueError, TypeError, KeyError) as error:
        raise ScheduleError(f"calendrier illisible ({error})") from error
    result.blocks.sort(key=lambda b: b.start)
    return result


def _check(event: Any) -> None:
    """What the libraries would take silently or fail on deep inside: said here, by event."""
    if "DTSTART" not in event:
        raise ScheduleError(f"{_name(event)}: un événement sans DTSTART")
    start = event["DTSTART"]
    try:
        value = start.dt
    except ValueError as error:
        raise ScheduleError(f"{_name(event)}: DTSTART illisible ({start.to_ical().decode()})") from error
    if isinstance(value, datetime) and "DTEND" not in event and "DURATION" not in event:
        raise ScheduleError(f"{_name(event)} ({value:%Y-%m-%d %H:%M}): un événement sans DTEND ni DURATION")
    for key in ("DTSTART", "DTEND"):
        prop = event.get(key)
        tzid = prop.params.get("TZID") if prop is not None else None
        if tzid and isinstance(prop.dt, datetime) and prop.dt.tzinfo is None:
            raise ScheduleError(f"{_name(event)}: fuseau horaire inconnu « {tzid} »")


def _with_end(event: Any) -> Any:
    """A single event with DTEND (from DURATION when that is what it has)."""
    if "DTEND" not in event and "DURATION" in event:
        event = event.copy()
        event.add("DTEND", event["DTSTART"].dt + event["DURATION"].dt)
    return event


def _instant(value: datetime) -> datetime:
    """A Quebec instant: a Windows zone name is read as its IANA zone; floating time is Quebec time."""
    if value.tzinfo is None:
        return _aware(value)
    tzid = tzid_from_dt(value)
    if tzid in WINDOWS_ZONES:
        try:
            zone = ZoneInfo(WINDOWS_ZONES[tzid])
        except ZoneInfoNotFoundError:
            return value.astimezone(QUEBEC)
        wall = value.replace(tzinfo=None)
        return wall.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).astimezone(QUEBEC)
    return value.astimezone(QUEBEC)


def _name(event: Any) -> str:
    summary = str(event.get("SUMMARY", "")).strip()
    return f"« {summary} »" if summary else "un événement sans titre"
