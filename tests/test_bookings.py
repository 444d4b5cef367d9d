"""Availability, slots across daylight saving, the booking race, reminders, and a PostgreSQL kill -9."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.availability import QUEBEC, Availability, Block, ScheduleError, load_rules, parse_csv, parse_ics, slots_of
from bot.bookings import BookingStore
from bot.records.database import engine_for
from tools import postgres_local

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules(ROOT / "content")
UTC = ZoneInfo("UTC")


def block(start: datetime, end: datetime, kind: str = "medecin", modalities: tuple[str, ...] = ("video",)) -> Block:
    return Block("dre@coop.example", kind, "val-morin", modalities, start, end)


def local(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=QUEBEC)


def details(n: int = 0) -> dict[str, Any]:
    return {
        "member_number": f"VM-{n:06d}",
        "member_name": "Membre Test",
        "conversation": f"+1819555{n:04d}",
        "channel": "sms",
        "need": "consultation",
        "summary": {"motif": "verrue"},
        "modality": "video",
    }


def test_a_block_is_cut_in_slots_of_the_type_length() -> None:
    slots = list(slots_of(block(local("2026-12-01 09:00"), local("2026-12-01 10:00")), RULES.slot_minutes["medecin"]))
    assert [s.start.strftime("%H:%M") for s in slots] == ["09:00", "09:15", "09:30", "09:45"]
    ips = list(slots_of(block(local("2026-12-01 09:00"), local("2026-12-01 10:00"), "ips"), RULES.slot_minutes["ips"]))
    assert len(ips) == 3


def test_slots_follow_the_wall_clock_across_daylight_saving() -> None:
    # 8 March 2026: 2:00 becomes 3:00. A 1:00 to 4:00 block has two real hours.
    spring = list(slots_of(block(local("2026-03-08 01:00"), local("2026-03-08 04:00")), 60))
    assert [s.start.strftime("%H:%M %Z") for s in spring] == ["01:00 EST", "03:00 EDT"]
    # 1 November 2026: 2:00 becomes 1:00 again; daytime slots keep their wall-clock times and length.
    autumn = list(slots_of(block(local("2026-11-02 09:00"), local("2026-11-02 10:00")), 30))
    assert [s.start.astimezone(UTC).strftime("%H:%M") for s in autumn] == ["14:00", "14:30"]
    summer = list(slots_of(block(local("2026-10-30 09:00"), local("2026-10-30 10:00")), 30))
    assert [s.start.astimezone(UTC).strftime("%H:%M") for s in summer] == ["13:00", "13:30"]


def test_csv_and_ics_imports() -> None:
    blocks = parse_csv(
        "clinicien,type,coop,modalites,debut,fin\n"
        "Dre@Coop.example,medecin,val-morin,video;telephone,2026-12-01 09:00,2026-12-01 12:00\n"
    )
    assert blocks[0].clinician == "dre@coop.example" and blocks[0].modalities == ("video", "telephone")
    assert blocks[0].start == local("2026-12-01 09:00")
    with pytest.raises(ScheduleError, match="ligne 2"):
        parse_csv(
            "clinicien,type,coop,modalites,debut,fin\nx,chirurgien,val-morin,video,2026-12-01 09:00,2026-12-01 12:00\n"
        )
    ics = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=America/Toronto:20261201T130000\r\n"
        "DTEND:20261201T200000Z\r\nSUMMARY:Cliniq\r\n ue\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    [from_ics] = parse_ics(ics, "ips@coop.example", "ips", "val-morin", ["video"])
    assert from_ics.start == local("2026-12-01 13:00") and from_ics.end == local("2026-12-01 15:00")


def test_availability_lists_matching_free_slots(database: Any) -> None:
    availability = Availability(database)
    availability.add([block(local("2026-12-01 09:00"), local("2026-12-01 10:00"), modalities=("telephone",))])
    availability.add([block(local("2026-12-02 09:00"), local("2026-12-02 10:00"))])
    found = availability.slots(
        local("2026-12-01 00:00"), local("2026-12-03 00:00"), RULES, ["medecin"], "val-morin", "video"
    )
    assert [s.start.day for s in found] == [2, 2, 2, 2]
    assert (
        availability.slots(local("2026-12-01 00:00"), local("2026-12-03 00:00"), RULES, ["ips"], "val-morin", "video")
        == []
    )


def test_fifty_members_race_for_one_slot_and_one_wins(database: Any, database_url: str) -> None:
    """Fifty clients, each with its own connection, book the same slot at the same moment."""
    [slot] = list(slots_of(block(local("2027-01-05 09:00"), local("2027-01-05 09:15")), 15))
    barrier = threading.Barrier(50)
    results: list[bool] = []

    def attempt(n: int) -> None:
        engine = engine_for(database_url)
        try:
            store = BookingStore(engine)
            barrier.wait()
            results.append(store.book(slot, **details(n)) is not None)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1


def test_cancelling_frees_the_slot_and_the_reminders(database: Any) -> None:
    store = BookingStore(database)
    [slot] = list(slots_of(block(local("2027-01-05 09:00"), local("2027-01-05 09:15")), 15))
    booking = store.book(slot, **details())
    assert booking is not None and store.taken(slot.id)
    assert store.book(slot, **details(1)) is None
    assert [b.id for b in store.upcoming_for_member("VM-000000", local("2027-01-01 00:00"))] == [booking.id]
    assert store.cancel(booking) and not store.cancel(booking)
    assert not store.taken(slot.id) and store.upcoming_for_member("VM-000000", local("2027-01-01 00:00")) == []
    assert store.due_reminders(slot.start.timestamp()) == []
    assert store.book(slot, **details(2)) is not None


def test_reminders_are_due_24_h_and_1_h_before_and_go_out_once(database: Any, database_url: str) -> None:
    start = (datetime.now(QUEBEC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    [slot] = list(slots_of(block(start, start + timedelta(minutes=15)), 15))
    booking = BookingStore(database).book(slot, **details())
    assert booking is not None
    engine = engine_for(database_url)
    later = BookingStore(engine)  # another process, after a restart
    assert later.due_reminders((start - timedelta(hours=25)).timestamp()) == []
    due = later.due_reminders((start - timedelta(hours=23)).timestamp())
    assert [(b.id, kind) for b, kind in due] == [(booking.id, "veille")]
    assert later.due_reminders((start - timedelta(hours=23)).timestamp()) == []  # taken once
    assert [kind for _, kind in later.due_reminders((start - timedelta(minutes=30)).timestamp())] == ["heure"]
    engine.dispose()


def test_a_confirmed_booking_survives_a_kill_9_of_postgresql() -> None:
    """A server of its own, durable as `make run` runs it (not the tests' throwaway settings)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = Path(tempfile.mkdtemp(prefix="coopsante-pg-kill-"))  # the server's account must reach it
    postgres_local.init(data_dir)

    def start() -> subprocess.Popen[bytes]:
        for _ in range(60):  # after a kill -9, the old server's backends may take a moment to go
            process = subprocess.Popen(
                postgres_local.server_command(data_dir, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                postgres_local.wait_ready(port, seconds=5)
                return process
            except Exception:
                process.kill()
                process.wait()
        raise AssertionError("PostgreSQL did not start again")

    server = start()
    try:
        url = postgres_local.prepare(port)
        engine = engine_for(url)
        [slot] = list(slots_of(block(local("2027-02-02 09:00"), local("2027-02-02 09:15")), 15))
        booking = BookingStore(engine).book(slot, **details())
        assert booking is not None  # confirmed to the member from here on
        engine.dispose()
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        server = start()
        engine = engine_for(url)
        kept = BookingStore(engine).get(booking.id)
        assert kept is not None and kept.status == "confirme" and BookingStore(engine).taken(slot.id)
        engine.dispose()
    finally:
        server.kill()
        server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
