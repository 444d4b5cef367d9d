"""Bookings: one member per slot, whatever the number of processes, and reminders that outlive restarts.

Booking is one Lua script: it claims the slot's key only if nobody holds it, writes the booking,
indexes it by member and clinician, and schedules its reminders, all at once. Redis runs with an
append-only file, written before it answers, so a booking confirmed to a member survives a
kill -9 of any process, Redis included. Reminders are a sorted set by due time: whichever worker
removes an entry first sends it, so a reminder goes out once even with several workers.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.availability import Slot
from bot.pseudonym import pseudonym

PREFIX = "coopsante:rdv:"
REMINDERS = PREFIX + "rappels"
REMINDER_OFFSETS = {"veille": timedelta(hours=24), "heure": timedelta(hours=1)}

# KEYS: slot, booking, member index, clinician index, reminders. ARGV: booking id, booking JSON,
# start (epoch), reminder members and scores as pairs.
_BOOK = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
for i = 4, #ARGV, 2 do redis.call('ZADD', KEYS[5], ARGV[i + 1], ARGV[i]) end
return 1
"""


@dataclass
class Booking:
    id: str
    slot_id: str
    member_number: str
    member_name: str
    conversation: str  # where to reach the member: a phone (SMS) or a web session id
    channel: str
    coop: str
    need: str  # consultation, clinicien
    summary: dict[str, str]
    modality: str
    clinician: str
    clinician_type: str
    start: datetime
    minutes: int
    status: str = "confirme"  # confirme, annule
    created: float = field(default_factory=time.time)
    booked_by: str = "membre"  # or the clinician's account, from the console

    def to_json(self) -> str:
        record = dict(self.__dict__)
        record["start"] = self.start.isoformat()
        return json.dumps(record, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Booking:
        record = json.loads(raw)
        record["start"] = datetime.fromisoformat(record["start"])
        return cls(**record)


@dataclass(frozen=True)
class BookingStore:
    redis: Any

    def _slot_key(self, slot_id: str) -> str:
        return f"{PREFIX}creneau:{slot_id}"

    def _key(self, booking_id: str) -> str:
        return f"{PREFIX}reservation:{booking_id}"

    def _member_key(self, member_number: str) -> str:
        return f"{PREFIX}membre:{pseudonym(member_number)}"

    def _clinician_key(self, clinician: str) -> str:
        return f"{PREFIX}clinicien:{clinician}"

    def taken(self, slot_id: str) -> bool:
        return bool(self.redis.exists(self._slot_key(slot_id)))

    def book(self, slot: Slot, **details: Any) -> Booking | None:
        """The booking, or None when someone else holds the slot already."""
        booking = Booking(
            id="R" + secrets.token_hex(6),
            slot_id=slot.id,
            modality=details.pop("modality"),
            clinician=slot.clinician,
            clinician_type=slot.clinician_type,
            start=slot.start,
            minutes=slot.minutes,
            coop=slot.coop,
            **details,
        )
        reminders: list[str] = []
        for kind, before in REMINDER_OFFSETS.items():
            due = slot.start - before
            if due.timestamp() > time.time():
                reminders += [f"{booking.id}|{kind}", str(due.timestamp())]
        keys = [
            self._slot_key(slot.id),
            self._key(booking.id),
            self._member_key(booking.member_number),
            self._clinician_key(slot.clinician),
            REMINDERS,
        ]
        arguments = [booking.id, booking.to_json(), slot.start.timestamp(), *reminders]
        won = self.redis.eval(_BOOK, len(keys), *keys, *arguments)
        return booking if won else None

    def get(self, booking_id: str) -> Booking | None:
        raw = self.redis.get(self._key(booking_id))
        return Booking.from_json(raw) if raw else None

    def upcoming_for_member(self, member_number: str, now: datetime) -> list[Booking]:
        ids = self.redis.zrangebyscore(self._member_key(member_number), now.timestamp(), "+inf")
        return [b for b in (self.get(i) for i in ids) if b and b.status == "confirme"]

    def upcoming_for_clinician(self, clinician: str, now: datetime) -> list[Booking]:
        ids = self.redis.zrangebyscore(self._clinician_key(clinician), now.timestamp(), "+inf")
        return [b for b in (self.get(i) for i in ids) if b and b.status == "confirme"]

    def cancel(self, booking: Booking) -> bool:
        """Free the slot and drop the reminders; False if it was already cancelled."""
        current = self.get(booking.id)
        if current is None or current.status != "confirme":
            return False
        current.status = "annule"
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self._key(booking.id), current.to_json())
        pipe.delete(self._slot_key(booking.slot_id))
        pipe.zrem(self._member_key(booking.member_number), booking.id)
        pipe.zrem(self._clinician_key(booking.clinician), booking.id)
        pipe.zrem(REMINDERS, *(f"{booking.id}|{kind}" for kind in REMINDER_OFFSETS))
        pipe.execute()
        return True

    def due_reminders(self, now: float) -> list[tuple[Booking, str]]:
        """Reminders due by `now`, each taken by exactly one caller (whoever removes it first)."""
        due = []
        for entry in self.redis.zrangebyscore(REMINDERS, "-inf", now):
            if self.redis.zrem(REMINDERS, entry):
                booking_id, _, kind = str(entry).partition("|")
                booking = self.get(booking_id)
                if booking and booking.status == "confirme":
                    due.append((booking, kind))
        return due


@dataclass(frozen=True)
class ReminderMarks:
    """Which booking a conversation was last reminded of, so that "ANNULER" in reply cancels it."""

    redis: Any

    def mark(self, conversation: str, booking: Booking) -> None:
        seconds = max(60, int(booking.start.timestamp() - time.time()))
        self.redis.set(f"{PREFIX}rappel:{pseudonym(conversation)}", booking.id, ex=seconds)

    def booking_for(self, conversation: str) -> str | None:
        value = self.redis.get(f"{PREFIX}rappel:{pseudonym(conversation)}")
        return str(value) if value else None
