"""Bookings: one member per slot, whatever the number of processes, and reminders that outlive restarts.

Bookings and their reminders are records in PostgreSQL (tables `bookings` and `booking_reminders`,
migrations/versions/0002). A slot holds one booking that is not cancelled: a unique partial index
says so, and booking is one INSERT that does nothing when the slot is held, so exactly one of
many members racing for a slot gets it. A booking is confirmed to the member once its transaction
is committed (and PostgreSQL has it on disk). Reminders are rows with their due time: whichever
worker marks one sent first sends it, so a reminder goes out once even with several workers.

Retention (`purge_expired`): RETENTION_DAYS after its date, a booking (cancelled ones too) keeps only
what the coop needs for its trace (slot, time, clinician, type, modality, coop, channel, need,
status); the member's name, number, conversation (their phone or web session) and summary are
dropped, as `erase_member` drops them at the member's request.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine, Row

from bot.booking.availability import QUEBEC, Slot
from bot.membership.match import MEMBER_MATCH, member_parameters, member_statement
from bot.platform.pseudonym import pseudonym


class BookingStatus(StrEnum):
    """A booking's status; the values are what `bookings.status` stores."""

    CONFIRMED = "confirme"
    CANCELLED = "annule"


_STATUSES = {"confirmed": BookingStatus.CONFIRMED, "cancelled": BookingStatus.CANCELLED}

PREFIX = "coopsante:rdv:"
REMINDER_OFFSETS = {"veille": timedelta(hours=24), "heure": timedelta(hours=1)}
RETENTION_DAYS = 30

# Legacy Redis keys, read by import_from_redis only.
LEGACY_BOOKING = PREFIX + "reservation:"
LEGACY_REMINDERS = PREFIX + "rappels"


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
    status: str = BookingStatus.CONFIRMED  # a BookingStatus value
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


_COLUMNS = (
    "id, slot_id, member_number, member_name, conversation, channel, coop, need, summary, modality, clinician,"
    " clinician_type, starts_at, minutes, status, created_at, booked_by"
)
_INSERT = sql(
    f"INSERT INTO bookings ({_COLUMNS}) VALUES (:id, :slot_id, :member_number, :member_name, :conversation,"
    " :channel, :coop, :need, :summary, :modality, :clinician, :clinician_type, :starts_at, :minutes, :status,"
    " :created_at, :booked_by) ON CONFLICT DO NOTHING"
).bindparams(bindparam("summary", type_=JSONB))
_REMIND = sql(
    "INSERT INTO booking_reminders (booking_id, kind, due_at, sent_at) VALUES (:booking, :kind, :due, :sent)"
    " ON CONFLICT DO NOTHING"
)
# What the coop keeps of a booking once the member's data is dropped.
_ANONYMISE = (
    "UPDATE bookings SET member_number = NULL, member_name = NULL, conversation = NULL, summary = NULL,"
    " anonymised_at = :now WHERE anonymised_at IS NULL AND "
)


def _values(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "slot_id": booking.slot_id,
        "member_number": booking.member_number,
        "member_name": booking.member_name,
        "conversation": booking.conversation,
        "channel": booking.channel,
        "coop": booking.coop,
        "need": booking.need,
        "summary": dict(booking.summary),
        "modality": booking.modality,
        "clinician": booking.clinician,
        "clinician_type": booking.clinician_type,
        "starts_at": booking.start,
        "minutes": booking.minutes,
        "status": booking.status,
        "created_at": datetime.fromtimestamp(booking.created, UTC),
        "booked_by": booking.booked_by,
    }


def _booking(row: Row) -> Booking:
    return Booking(
        id=row.id,
        slot_id=row.slot_id,
        member_number=row.member_number or "",
        member_name=row.member_name or "",
        conversation=row.conversation or "",
        channel=row.channel,
        coop=row.coop,
        need=row.need,
        summary=dict(row.summary or {}),
        modality=row.modality,
        clinician=row.clinician,
        clinician_type=row.clinician_type,
        start=row.starts_at.astimezone(QUEBEC),
        minutes=row.minutes,
        status=row.status,
        created=row.created_at.timestamp(),
        booked_by=row.booked_by,
    )


@dataclass(frozen=True)
class BookingStore:
    engine: Engine
    retention_seconds: int = RETENTION_DAYS * 86400

    def taken(self, slot_id: str) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                sql("SELECT 1 FROM bookings WHERE slot_id = :slot AND status = :confirmed"),
                {"slot": slot_id, **_STATUSES},
            ).first()
        return found is not None

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
        with self.engine.begin() as connection:
            if not connection.execute(_INSERT, _values(booking)).rowcount:
                return None  # the slot's unique index: someone else holds it
            for kind, before in REMINDER_OFFSETS.items():
                due = slot.start - before
                if due.timestamp() > time.time():
                    connection.execute(_REMIND, {"booking": booking.id, "kind": kind, "due": due, "sent": None})
        return booking

    def get(self, booking_id: str) -> Booking | None:
        with self.engine.connect() as connection:
            row = connection.execute(sql(f"SELECT {_COLUMNS} FROM bookings WHERE id = :id"), {"id": booking_id}).first()
        return _booking(row) if row else None

    def upcoming_for_member(self, member_number: str, now: datetime) -> list[Booking]:
        return self._upcoming("member_number", member_number, now)

    def upcoming_for_clinician(self, clinician: str, now: datetime) -> list[Booking]:
        return self._upcoming("clinician", clinician, now)

    def _upcoming(self, column: str, value: str, now: datetime) -> list[Booking]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sql(
                    f"SELECT {_COLUMNS} FROM bookings WHERE {column} = :value AND starts_at >= :now"
                    " AND status = :confirmed ORDER BY starts_at, id"
                ),
                {"value": value, "now": now, **_STATUSES},
            ).all()
        return [_booking(row) for row in rows]

    def cancel(self, booking: Booking, moved_to: str | None = None) -> bool:
        """Free the slot and drop the reminders; False if it was already cancelled. `moved_to`: the
        booking that replaces it (a move, counted apart from a cancellation on the dashboard)."""
        with self.engine.begin() as connection:
            cancelled = connection.execute(
                sql(
                    "UPDATE bookings SET status = :cancelled, moved_to = :moved_to"
                    " WHERE id = :id AND status = :confirmed"
                ),
                {"id": booking.id, "moved_to": moved_to, **_STATUSES},
            ).rowcount
            connection.execute(
                sql("DELETE FROM booking_reminders WHERE booking_id = :id AND sent_at IS NULL"), {"id": booking.id}
            )
        return bool(cancelled)

    def mark_no_show(self, booking_id: str, by: str, now: datetime) -> bool:
        """A clinician notes that the member did not come: a confirmed booking that has started, once."""
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    sql(
                        "UPDATE bookings SET no_show_at = :now, no_show_by = :by WHERE id = :id"
                        " AND status = :confirmed AND starts_at <= :now AND no_show_at IS NULL"
                    ),
                    {"id": booking_id, "by": by, "now": now, **_STATUSES},
                ).rowcount
            )

    def recent_for_clinician(self, clinician: str, now: datetime, days: int = 7) -> list[tuple[Booking, bool]]:
        """The clinician's confirmed bookings of the last `days` that have started, with their no-show mark."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sql(
                    f"SELECT {_COLUMNS}, no_show_at FROM bookings WHERE clinician = :clinician"
                    " AND status = :confirmed AND anonymised_at IS NULL AND starts_at <= :now"
                    " AND starts_at > :since ORDER BY starts_at DESC"
                ),
                {"clinician": clinician, "now": now, "since": now - timedelta(days=days), **_STATUSES},
            ).all()
        return [(_booking(row), row.no_show_at is not None) for row in rows]

    def due_reminders(self, now: float) -> list[tuple[Booking, str]]:
        """Reminders due by `now`, each taken by exactly one caller (whoever marks it sent first)."""
        with self.engine.begin() as connection:
            taken = connection.execute(
                sql(
                    "UPDATE booking_reminders r SET sent_at = :now FROM bookings b WHERE r.booking_id = b.id"
                    " AND r.sent_at IS NULL AND r.due_at <= :now AND b.status = :confirmed"
                    " AND b.anonymised_at IS NULL RETURNING r.booking_id, r.kind, r.due_at"
                ),
                {"now": datetime.fromtimestamp(now, UTC), **_STATUSES},
            ).all()
        due = []
        for row in sorted(taken, key=lambda r: (r.due_at, r.booking_id)):
            booking = self.get(row.booking_id)
            if booking and booking.status == BookingStatus.CONFIRMED:
                due.append((booking, str(row.kind)))
        return due

    # --- Retention and erasure ----------------------------------------------------------------------

    def purge_expired(self, now: datetime) -> int:
        """Anonymise the bookings `retention_seconds` past their date, cancelled ones too; the count."""
        with self.engine.begin() as connection:
            return self._anonymise(
                connection, "starts_at < :before", {"before": now - timedelta(seconds=self.retention_seconds)}, now
            )

    def erase_member(self, member_number: str | None, phones: Collection[str], conversations: Collection[str]) -> int:
        """Anonymise the member's bookings (the coop keeps slot, time, clinician, coop and status); the count."""
        with self.engine.begin() as connection:
            return self._anonymise(
                connection, MEMBER_MATCH, member_parameters(member_number, phones, conversations), datetime.now(UTC)
            )

    def _anonymise(self, connection: Connection, where: str, parameters: dict[str, Any], now: datetime) -> int:
        text = _ANONYMISE + where + " RETURNING id"
        statement = member_statement(text) if "conversations" in parameters else sql(text)
        ids = [row.id for row in connection.execute(statement, {**parameters, "now": now})]
        if ids:  # nobody to remind any more
            connection.execute(
                sql("DELETE FROM booking_reminders WHERE booking_id IN :ids AND sent_at IS NULL").bindparams(
                    bindparam("ids", expanding=True)
                ),
                {"ids": ids},
            )
        return len(ids)


def import_from_redis(redis: Any, engine: Engine) -> int:
    """Copy the bookings (and their pending reminders) that Redis holds into PostgreSQL; the count imported.

    A booking already in PostgreSQL is left as it is: running it twice imports nothing twice. A
    confirmed booking whose slot is already held in PostgreSQL is not imported (the slot's index)."""
    pending: dict[str, list[tuple[str, float]]] = {}
    for entry, score in redis.zrange(LEGACY_REMINDERS, 0, -1, withscores=True):
        booking_id, _, kind = _decoded(entry).partition("|")
        pending.setdefault(booking_id, []).append((kind, float(score)))
    imported = 0
    for key in redis.scan_iter(LEGACY_BOOKING + "*", count=500):
        raw = redis.get(key)
        if not raw:
            continue
        booking = Booking.from_json(_decoded(raw))
        with engine.begin() as connection:
            if not connection.execute(_INSERT, _values(booking)).rowcount:
                continue
            for kind, due in REMINDER_OFFSETS.items():
                due_at = booking.start - due
                waiting = dict(pending.get(booking.id, []))
                sent = None if kind in waiting else datetime.now(UTC)  # gone from Redis's set: sent already
                connection.execute(_REMIND, {"booking": booking.id, "kind": kind, "due": due_at, "sent": sent})
        imported += 1
    return imported


def _decoded(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


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
