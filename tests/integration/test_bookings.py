"""Availability, slots across daylight saving, the booking race, reminders, and a PostgreSQL kill -9."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from bot.booking.availability import QUEBEC, Availability, Block, ScheduleError, load_rules, parse_csv, slots_of
from bot.booking.availability import import_from_redis as import_blocks
from bot.booking.ics_import import parse_ics
from bot.booking.store import _INSERT, RETENTION_DAYS, Booking, BookingStore, _values
from bot.booking.store import import_from_redis as import_bookings
from bot.records.database import engine_for
from tools import postgres_local

ROOT = Path(__file__).resolve().parents[2]
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
    [from_ics] = parse_ics(ics, "ips@coop.example", "ips", "val-morin", ["video"]).blocks
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


# --- ANNULER in answer to a reminder ------------------------------------------------------------


class Outbox:
    """The console's delivery at its boundary: what would be texted to whom."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, booking: Booking, text: str) -> None:
        self.sent.append((booking.id, text))


def test_cancel_after_a_reminder_cancels_the_booking_that_reminder_was_about(clinic: Any, database: Any) -> None:
    """Finding: ANNULER after a reminder could cancel another booking than the one reminded.

    Two bookings less than a day apart: the day-before reminder of the later one goes out, then the
    last reminder (1 h before) of the earlier one. ANNULER then answers that last reminder: too late
    for that booking, and the other booking stays."""
    import asyncio

    from console.delivery import MemberDelivery
    from console.worker import Worker

    services = clinic.services
    member = clinic.eligible_member()
    day = (datetime.now(QUEBEC) + timedelta(days=2)).replace(hour=9, minute=0, second=0, microsecond=0)
    [first] = list(slots_of(block(day, day + timedelta(minutes=15)), 15))
    [second] = list(slots_of(block(day.replace(hour=13), day.replace(hour=13, minute=15)), 15))
    booked = [
        services.bookings.book(slot, **{**details(), "member_number": member.number, "conversation": member.phone})
        for slot in (first, second)
    ]
    assert all(booked)
    earlier, later = (b for b in booked if b is not None)
    outbox = Outbox()
    worker = Worker(services.handoff, services.bookings, services.content, cast(MemberDelivery, outbox))

    def reminder_due(booking: Booking, kind: str) -> None:
        with database.begin() as connection:  # only this reminder is due now
            connection.execute(text("UPDATE booking_reminders SET due_at = now() + interval '30 days'"))
            connection.execute(
                text("UPDATE booking_reminders SET due_at = now() WHERE booking_id = :id AND kind = :kind"),
                {"id": booking.id, "kind": kind},
            )
        asyncio.run(worker.send_reminders())

    reminder_due(later, "veille")
    reminder_due(earlier, "heure")
    assert [booking_id for booking_id, _ in outbox.sent] == [later.id, earlier.id]
    conversation = clinic.conversation("sms", sender=member.phone)
    answered_at = earlier.start - timedelta(minutes=50)
    object.__setattr__(services, "now", lambda: answered_at)  # the assistant's clock, at its boundary
    replies = conversation.say("ANNULER", now=answered_at)
    assert replies[0].text.startswith("Il est trop tard"), replies
    kept = [services.bookings.get(b.id) for b in (earlier, later)]
    assert [b.status for b in kept if b] == ["confirme", "confirme"]


# --- The schema's rules, retention, erasure, the import from Redis ---------------------------------


def test_the_database_refuses_a_second_booking_of_a_slot(database: Any) -> None:
    store = BookingStore(database)
    [slot] = list(slots_of(block(local("2027-01-05 09:00"), local("2027-01-05 09:15")), 15))
    booking = store.book(slot, **details())
    assert booking is not None
    copy = {**_values(booking), "id": "R-autre"}
    insert = text(_INSERT.text.replace("ON CONFLICT DO NOTHING", "")).bindparams(bindparam("summary", type_=JSONB))
    with pytest.raises(IntegrityError), database.begin() as connection:
        connection.execute(insert, copy)  # no way around the slot's index
    with database.begin() as connection:  # a cancelled booking does not hold its slot
        connection.execute(insert, {**copy, "status": "annule"})


def test_bookings_past_their_date_keep_only_the_coops_trace(database: Any) -> None:
    store = BookingStore(database)
    [past] = list(slots_of(block(local("2026-01-05 09:00"), local("2026-01-05 09:15")), 15))
    [cancelled] = list(slots_of(block(local("2026-01-06 09:00"), local("2026-01-06 09:15")), 15))
    [coming] = list(slots_of(block(local("2027-01-05 09:00"), local("2027-01-05 09:15")), 15))
    kept, dropped, upcoming = (store.book(s, **details()) for s in (past, cancelled, coming))
    assert kept and dropped and upcoming and store.cancel(dropped)
    now = local("2026-01-05 09:00") + timedelta(days=RETENTION_DAYS, hours=1)
    assert store.purge_expired(now) == 1  # the 5th's; the 6th's is not yet past its retention
    assert store.purge_expired(now + timedelta(days=1)) == 1 and store.purge_expired(now + timedelta(days=1)) == 0
    trace = store.get(kept.id)
    assert trace is not None and (trace.member_number, trace.member_name, trace.conversation) == ("", "", "")
    assert trace.summary == {} and (trace.slot_id, trace.clinician, trace.status) == (
        past.id,
        past.clinician,
        "confirme",
    )
    assert store.get(dropped.id).status == "annule"  # type: ignore[union-attr]
    assert store.get(upcoming.id).member_number == "VM-000000"  # type: ignore[union-attr]


def test_erasing_a_member_anonymises_their_bookings_and_drops_their_reminders(database: Any) -> None:
    store = BookingStore(database)
    start = (datetime.now(QUEBEC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    slots = list(slots_of(block(start, start + timedelta(minutes=75)), 15))
    by_number = store.book(slots[0], **details(1))
    by_phone = store.book(slots[1], **{**details(2), "member_number": "", "conversation": "+18195550101"})
    by_call = store.book(slots[2], **{**details(3), "conversation": "+18195550101~CA0123"})
    by_web = store.book(slots[3], **{**details(4), "conversation": "web-abc"})
    other = store.book(slots[4], **details(5))
    assert by_number and by_phone and by_call and by_web and other
    assert store.erase_member("vm-000001", ["+18195550101"], ["web-abc"]) == 4
    for booking in (by_number, by_phone, by_call, by_web):
        trace = store.get(booking.id)
        assert trace is not None and trace.member_number == trace.member_name == trace.conversation == ""
        assert trace.summary == {} and trace.slot_id == booking.slot_id and trace.start == booking.start
        assert trace.clinician == booking.clinician and trace.coop == booking.coop and trace.status == "confirme"
    assert [b.id for b in store.upcoming_for_member("VM-000005", start - timedelta(days=1))] == [other.id]
    later = (start + timedelta(days=1)).timestamp()
    assert [b.id for b, _ in store.due_reminders(later)] == [other.id, other.id]  # nobody else to remind
    assert store.erase_member(None, [], []) == 0


def test_bookings_and_availability_are_imported_from_redis_once(database: Any, redis_client: Any) -> None:
    start = (datetime.now(QUEBEC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    blocks = [
        block(start, start + timedelta(minutes=30)),
        block(start + timedelta(days=1), start + timedelta(days=1, hours=1)),
    ]
    for b in blocks:
        redis_client.zadd("coopsante:dispo:blocs", {b.to_json(): b.start.timestamp()})
    slots = list(slots_of(blocks[0], 15))
    legacy = [
        Booking("Rlegacy1", slots[0].id, "VM-000001", "Membre", "+18195550101", "sms", "val-morin", "consultation",
                {"motif": "verrue"}, "video", slots[0].clinician, "medecin", slots[0].start, 15),
        Booking("Rlegacy2", slots[1].id, "VM-000002", "Membre", "web-x", "web", "val-morin", "consultation",
                {}, "video", slots[1].clinician, "medecin", slots[1].start, 15, status="annule"),
    ]  # fmt: skip
    for booking in legacy:
        redis_client.set(f"coopsante:rdv:reservation:{booking.id}", booking.to_json())
    redis_client.zadd("coopsante:rdv:rappels", {"Rlegacy1|veille": (slots[0].start - timedelta(hours=24)).timestamp()})
    assert import_blocks(redis_client, database) == 2 and import_blocks(redis_client, database) == 0
    assert import_bookings(redis_client, database) == 2 and import_bookings(redis_client, database) == 0
    assert Availability(database).blocks(start - timedelta(days=1), start + timedelta(days=3)) == blocks
    store = BookingStore(database)
    imported = [store.get(b.id) for b in legacy]
    assert [replace(b, created=round(b.created, 3)) for b in imported if b] == [
        replace(b, created=round(b.created, 3)) for b in legacy
    ]
    assert store.taken(slots[0].id) and not store.taken(slots[1].id)
    due = store.due_reminders(slots[0].start.timestamp())
    assert [(b.id, kind) for b, kind in due] == [("Rlegacy1", "veille")]  # the 1 h one had gone out


def test_availability_past_its_retention_is_deleted(database: Any) -> None:
    availability = Availability(database)
    old = block(local("2026-01-05 09:00"), local("2026-01-05 10:00"))
    recent = block(local("2026-12-01 09:00"), local("2026-12-01 10:00"))
    availability.add([old, recent, old])
    assert len(availability.blocks(local("2026-01-01 00:00"), local("2027-01-01 00:00"))) == 2  # once each
    assert availability.purge_expired(local("2026-12-02 00:00")) == 1
    assert availability.blocks(local("2026-01-01 00:00"), local("2027-01-01 00:00")) == [recent]
    assert availability.remove(recent) and availability.empty()
