"""iCalendar availability imports (bot/booking/ics_import.py) from real exports: Google Calendar (a weekly
series with an exception, a UTC event) and Outlook (Windows zone names, an all-day event), and the
import command's messages to the operator."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.booking.availability import QUEBEC, Availability, ScheduleError
from bot.booking.ics_import import IMPORT_WEEKS, parse_ics
from ops import import_schedule

DATA = Path(__file__).resolve().parents[1] / "data"
GOOGLE = (DATA / "agenda_google.ics").read_text(encoding="utf-8")
OUTLOOK = (DATA / "agenda_outlook.ics").read_text(encoding="utf-8")


def read(text: str, today: date = date(2026, 10, 19)) -> list[tuple[str, str]]:
    result = parse_ics(text, "Dre@Coop.example", "medecin", "val-morin", ["video"], today=today)
    assert all(b.clinician == "dre@coop.example" and b.start.tzinfo == QUEBEC for b in result.blocks)
    return [(f"{b.start:%Y-%m-%d %H:%M %Z}", f"{b.end:%H:%M}") for b in result.blocks]


def test_a_weekly_event_is_one_block_per_week_in_the_window_without_its_exception() -> None:
    blocks = read(GOOGLE)
    tuesdays = [b for b in blocks if b[0].endswith("09:00 EDT") or b[0].endswith("09:00 EST")]
    # 19 October + 8 weeks = 14 December: 20 and 27 Oct, 3 Nov, (10 Nov excepted), 17, 24 Nov, 1, 8 Dec.
    assert [t[0][:10] for t in tuesdays] == [
        "2026-10-20",
        "2026-10-27",
        "2026-11-03",
        "2026-11-17",
        "2026-11-24",
        "2026-12-01",
        "2026-12-08",
    ]
    assert IMPORT_WEEKS == 8
    # Same wall-clock hours across the end of daylight saving (1 November).
    assert ("2026-10-27 09:00 EDT", "12:00") in blocks and ("2026-11-03 09:00 EST", "12:00") in blocks
    # The single event in UTC: 17:00Z is 13:00 in Quebec in October.
    assert ("2026-10-22 13:00 EDT", "15:00") in blocks
    assert len(blocks) == 8


def test_the_window_starts_today() -> None:
    later = read(GOOGLE, today=date(2026, 11, 25))
    assert later[0] == ("2026-10-22 13:00 EDT", "15:00")  # a single event is imported wherever it falls
    assert [b[0][:10] for b in later[1:]][:2] == ["2026-12-01", "2026-12-08"]
    assert later[-1][0][:10] == "2027-01-19"


def test_outlook_windows_zone_names_and_all_day_events() -> None:
    result = parse_ics(OUTLOOK, "ips@coop.example", "ips", "val-morin", ["video"], today=date(2026, 10, 19))
    [block] = result.blocks
    assert block.start == datetime(2026, 10, 21, 13, 0, tzinfo=QUEBEC)
    assert block.end == datetime(2026, 10, 21, 16, 0, tzinfo=QUEBEC)
    assert result.skipped == ["« Formation continue » (2026-10-23): journée entière, sans heures, ignoré"]


def test_a_windows_zone_name_without_its_vtimezone_is_quebec_time() -> None:
    text = event(
        'DTSTART;TZID="Eastern Standard Time":20270115T090000', 'DTEND;TZID="Eastern Standard Time":20270115T100000'
    )
    assert read(text) == [("2027-01-15 09:00 EST", "10:00")]


def event(*lines: str) -> str:
    body = "\r\n".join(["BEGIN:VEVENT", "UID:x@coop", "SUMMARY:Clinique", *lines, "END:VEVENT"])
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}\r\nEND:VCALENDAR\r\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ceci n'est pas un calendrier", "pas un calendrier iCalendar lisible"),
        ("", "pas un calendrier iCalendar lisible"),
        (event("DTSTART:2026102", "DTEND:20261021T140000"), "« Clinique »: DTSTART illisible"),
        (event("DTEND:20261021T140000"), "sans DTSTART"),
        (event("DTSTART:20261021T130000"), "sans DTEND ni DURATION"),
        (event("DTSTART;TZID=Nulle/Part:20261021T130000", "DTEND;TZID=Nulle/Part:20261021T140000"), "Nulle/Part"),
        (event("DTSTART:20261021T130000", "DTEND:20261021T140000", "RRULE:FREQ=PARFOIS"), "calendrier illisible"),
        (event("DTSTART:20261021T130000", "DTEND:20261021T120000"), "la fin doit suivre le début"),
    ],
)
def test_a_malformed_file_says_what_in_french(text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        read(text)


def test_duration_and_floating_times() -> None:
    assert read(event("DTSTART:20261021T130000", "DURATION:PT2H")) == [("2026-10-21 13:00 EDT", "15:00")]


def test_the_import_command_reports_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "agenda.ics"
    bad.write_text(event("DTSTART;TZID=Nulle/Part:20261021T130000", "DTEND:20261021T140000"), encoding="utf-8")
    args = [str(bad), "--clinicien", "dre@coop.example", "--type", "medecin", "--coop", "val-morin"]
    assert import_schedule.main(args) == 2
    err = capsys.readouterr().err
    assert "fuseau horaire inconnu « Nulle/Part »" in err and "Rien n'a été importé" in err
    assert "Traceback" not in err


def test_the_import_command_imports_an_outlook_file_and_lists_what_it_set_aside(
    database: Any, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    args = [str(DATA / "agenda_outlook.ics"), "--clinicien", "ips@coop.example", "--type", "ips", "--coop", "val-morin"]
    assert import_schedule.main(args) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "1 plages importées."
    assert "« Formation continue » (2026-10-23): journée entière, sans heures, ignoré." in err
    [block] = Availability(database).blocks(datetime(2026, 10, 1, tzinfo=QUEBEC), datetime(2026, 11, 1, tzinfo=QUEBEC))
    assert block.start == datetime(2026, 10, 21, 13, 0, tzinfo=QUEBEC) and block.modalities == ("video", "telephone")
