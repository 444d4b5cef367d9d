"""Clinicians' availability: blocks of time, cut into bookable slots; imported from CSV or iCalendar
(bot/booking/ics_import.py).

A block is one clinician's time for one coop, with the modalities they offer (video, phone, chat).
Blocks are records in PostgreSQL (table `availability_blocks`, migrations/versions/0002); slots are
computed from them, in Quebec wall-clock time so that a 9 h to 12 h block gives 9 h, 9 h 15... on a
daylight-saving day too. Blocks hold no member data; `purge_expired` deletes them RETENTION_DAYS
after they end (the bookings keep their own copy of what was booked).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine, Row

from bot.booking.french_time import QUEBEC as QUEBEC  # re-exported: the zone is declared in bot/booking/french_time.py

BLOCKS = "coopsante:dispo:blocs"  # the legacy Redis sorted set, read by import_from_redis only
RETENTION_DAYS = 90
TYPES = ("medecin", "ips", "infirmiere")
MODALITIES = ("video", "telephone", "clavardage")


class ScheduleError(ValueError):
    """An availability file or block is malformed (the message says where)."""


@dataclass(frozen=True)
class BookingRules:
    slot_minutes: dict[str, int]
    types_by_need: dict[str, list[str]]
    cancel_until_hours: float
    cancel_by_coop: dict[str, float]
    labels: dict[str, str]
    modality_labels: dict[str, str]
    join: dict[str, str]

    def cancel_deadline(self, coop: str) -> timedelta:
        return timedelta(hours=self.cancel_by_coop.get(coop, self.cancel_until_hours))


def load_rules(content_dir: Path) -> BookingRules:
    data = yaml.safe_load((content_dir / "booking.yml").read_text(encoding="utf-8")) or {}
    return BookingRules(
        slot_minutes={str(k): int(v) for k, v in data["slot_minutes"].items()},
        types_by_need={str(k): [str(t) for t in v] for k, v in data["types"].items()},
        cancel_until_hours=float(data.get("cancel_until_hours", 2)),
        cancel_by_coop={str(k): float(v["cancel_until_hours"]) for k, v in (data.get("coops") or {}).items() if v},
        labels={str(k): str(v) for k, v in data["labels"].items()},
        modality_labels={str(k): str(v) for k, v in data["modalities"].items()},
        join={str(k): str(v) for k, v in data["join"].items()},
    )


@dataclass(frozen=True)
class Block:
    clinician: str  # the console account (email)
    clinician_type: str  # medecin, ips, infirmiere
    coop: str
    modalities: tuple[str, ...]
    start: datetime  # aware
    end: datetime

    def __post_init__(self) -> None:
        if self.clinician_type not in TYPES:
            raise ScheduleError(f"type inconnu: {self.clinician_type} (choix: {', '.join(TYPES)})")
        unknown = [m for m in self.modalities if m not in MODALITIES]
        if unknown or not self.modalities:
            raise ScheduleError(f"modalité inconnue: {unknown or 'aucune'} (choix: {', '.join(MODALITIES)})")
        if self.start.tzinfo is None or self.end <= self.start:
            raise ScheduleError("la fin doit suivre le début (heures avec fuseau)")

    @property
    def id(self) -> str:
        return f"{self.clinician}|{self.start.isoformat()}"

    def to_json(self) -> str:
        record: dict[str, Any] = asdict(self)
        record.update(start=self.start.isoformat(), end=self.end.isoformat(), modalities=list(self.modalities))
        return json.dumps(record, sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> Block:
        record = json.loads(raw)
        return cls(
            record["clinician"],
            record["clinician_type"],
            record["coop"],
            tuple(record["modalities"]),
            datetime.fromisoformat(record["start"]),
            datetime.fromisoformat(record["end"]),
        )


@dataclass(frozen=True)
class Slot:
    clinician: str
    clinician_type: str
    coop: str
    modalities: tuple[str, ...]
    start: datetime
    minutes: int

    @property
    def id(self) -> str:
        """Unique per clinician and start instant: what a booking claims."""
        return f"{self.clinician}|{self.start.astimezone(ZoneInfo('UTC')).strftime('%Y%m%dT%H%MZ')}"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)


def slots_of(block: Block, minutes: int) -> Iterator[Slot]:
    """Cut a block in wall-clock steps, Quebec time; a slot that would pass the block's end is dropped."""
    local_start = block.start.astimezone(QUEBEC).replace(tzinfo=None)
    step = 0
    while True:
        wall = local_start + timedelta(minutes=step * minutes)
        start = _aware(wall)
        if start + timedelta(minutes=minutes) > block.end:
            return
        exists = start.replace(tzinfo=None) == wall  # 2:30 on the spring-forward night does not
        if exists and start >= block.start:
            yield Slot(block.clinician, block.clinician_type, block.coop, block.modalities, start, minutes)
        step += 1


def _aware(wall: datetime) -> datetime:
    """A Quebec wall-clock time as an aware instant; a time that does not exist moves to the real one."""
    aware = wall.replace(tzinfo=QUEBEC)
    return aware.astimezone(ZoneInfo("UTC")).astimezone(QUEBEC)


_INSERT = sql(
    "INSERT INTO availability_blocks (clinician, clinician_type, coop, modalities, starts_at, ends_at)"
    " VALUES (:clinician, :clinician_type, :coop, :modalities, :start, :end) ON CONFLICT DO NOTHING"
)
_SAME_BLOCK = (
    "clinician = :clinician AND clinician_type = :clinician_type AND coop = :coop AND modalities = :modalities"
    " AND starts_at = :start AND ends_at = :end"
)


def _values(block: Block) -> dict[str, Any]:
    return {
        "clinician": block.clinician,
        "clinician_type": block.clinician_type,
        "coop": block.coop,
        "modalities": list(block.modalities),
        "start": block.start,
        "end": block.end,
    }


def _block(row: Row) -> Block:
    return Block(
        row.clinician,
        row.clinician_type,
        row.coop,
        tuple(row.modalities),
        row.starts_at.astimezone(QUEBEC),
        row.ends_at.astimezone(QUEBEC),
    )


@dataclass(frozen=True)
class Availability:
    engine: Engine

    def add(self, blocks: Iterable[Block]) -> int:
        """Add blocks, all or none (a block already there is kept once); the count given."""
        values = [_values(block) for block in blocks]
        if values:
            with self.engine.begin() as connection:
                connection.execute(_INSERT, values)
        return len(values)

    def remove(self, block: Block) -> bool:
        with self.engine.begin() as connection:
            return bool(
                connection.execute(sql(f"DELETE FROM availability_blocks WHERE {_SAME_BLOCK}"), _values(block)).rowcount
            )

    def blocks(self, start: datetime, end: datetime, clinician: str | None = None) -> list[Block]:
        """Blocks that overlap [start, end), earliest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                sql(
                    "SELECT clinician, clinician_type, coop, modalities, starts_at, ends_at FROM availability_blocks"
                    " WHERE ends_at > :start AND starts_at < :end AND (CAST(:clinician AS text) IS NULL"
                    " OR clinician = :clinician) ORDER BY starts_at, id"
                ),
                {"start": start, "end": end, "clinician": clinician},
            ).all()
        return [_block(row) for row in rows]

    def empty(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(sql("SELECT 1 FROM availability_blocks LIMIT 1")).first() is None

    def purge_expired(self, now: datetime) -> int:
        """Delete the blocks that ended RETENTION_DAYS before `now`; the count deleted."""
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    sql("DELETE FROM availability_blocks WHERE ends_at < :before"),
                    {"before": now - timedelta(days=RETENTION_DAYS)},
                ).rowcount
            )

    def slots(
        self, start: datetime, end: datetime, rules: BookingRules, types: Sequence[str], coop: str, modality: str
    ) -> list[Slot]:
        """Every slot in [start, end) of the given types, coop and modality, earliest first."""
        found = []
        for block in self.blocks(start, end):
            if block.clinician_type not in types or block.coop != coop or modality not in block.modalities:
                continue
            for slot in slots_of(block, rules.slot_minutes[block.clinician_type]):
                if start <= slot.start < end:
                    found.append(slot)
        return sorted(found, key=lambda s: (s.start, s.clinician))


def import_from_redis(redis: Any, engine: Engine) -> int:
    """Copy the blocks that Redis holds into PostgreSQL; the count imported. A block already there is
    not imported again: running it twice imports nothing twice."""
    imported = 0
    for raw in redis.zrange(BLOCKS, 0, -1):
        block = Block.from_json(raw.decode() if isinstance(raw, bytes) else str(raw))
        with engine.begin() as connection:
            imported += connection.execute(_INSERT, _values(block)).rowcount
    return imported


# --- Imports ------------------------------------------------------------------------------------

CSV_COLUMNS = ("clinicien", "type", "coop", "modalites", "debut", "fin")


def parse_csv(text: str) -> list[Block]:
    """Rows: clinicien,type,coop,modalites (video;telephone),debut,fin (YYYY-MM-DD HH:MM, Quebec time)."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ScheduleError(f"colonnes manquantes: {', '.join(missing)}")
    blocks = []
    for line, row in enumerate(reader, start=2):
        try:
            blocks.append(
                Block(
                    row["clinicien"].strip().lower(),
                    row["type"].strip(),
                    row["coop"].strip(),
                    tuple(m.strip() for m in re.split(r"[;|]", row["modalites"]) if m.strip()),
                    _local(row["debut"]),
                    _local(row["fin"]),
                )
            )
        except (ScheduleError, ValueError) as error:
            raise ScheduleError(f"ligne {line}: {error}") from error
    return blocks


def _local(text: str) -> datetime:
    return _aware(datetime.strptime(text.strip(), "%Y-%m-%d %H:%M"))


def demo_blocks(today: date, days: int = 21) -> list[Block]:
    """A fortnight and more of weekday availability for three fictional clinicians (make run)."""
    people = (
        ("dre.demo@demo.coopsante.example", "medecin", "val-morin", ("video", "telephone")),
        ("ips.demo@demo.coopsante.example", "ips", "val-morin", ("video", "telephone", "clavardage")),
        ("dr.hl@demo.coopsante.example", "medecin", "hautes-laurentides", ("video", "telephone", "clavardage")),
    )
    blocks = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for clinician, kind, coop, modalities in people:
            for begin, finish in ((time(9), time(12)), (time(13), time(16))):
                start, end = _aware(datetime.combine(day, begin)), _aware(datetime.combine(day, finish))
                blocks.append(Block(clinician, kind, coop, modalities, start, end))
    return blocks
