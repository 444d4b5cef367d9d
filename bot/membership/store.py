"""The member registry in PostgreSQL: one row per member, the phone indexed.

A family may share one phone, so a phone leads to a list of members. An import is written in one
transaction: it lands whole or not at all. The registry is the coop's own file: a member's
erasure request does not remove it (the coop keeps it under its own rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Date, DateTime, MetaData, Table, Text, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from bot.membership.members import Member

metadata = MetaData()
members = Table(
    "members",
    metadata,
    Column("number", Text, primary_key=True),
    Column("first_name", Text, nullable=False),
    Column("last_name", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("phone", Text, nullable=False, index=True),
    Column("coop", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("telemedicine_until", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
FIELDS = ("number", "first_name", "last_name", "birth_date", "phone", "coop", "status", "telemedicine_until")
BATCH = 1000


@dataclass(frozen=True)
class UpsertReport:
    created: int
    updated: int
    unchanged: int


def _row(member: Member) -> dict[str, Any]:
    return {name: getattr(member, name) for name in FIELDS}


def _member(row: Mapping[str, Any]) -> Member:
    return Member(*(row[name] for name in FIELDS))


class MemberRegistry:
    """Reads and writes members; takes a SQLAlchemy engine (bot/records/database.py)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, number: str) -> Member | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(members).where(members.c.number == number.strip().upper())).first()
        return _member(row._mapping) if row else None

    def by_phone(self, phone: str) -> list[Member]:
        """Every member reached at this E.164 phone number (a family may share one)."""
        query = select(members).where(members.c.phone == phone).order_by(members.c.number)
        with self.engine.connect() as connection:
            return [_member(row._mapping) for row in connection.execute(query)]

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(members)).scalar_one())

    def upsert(self, new: Iterable[Member]) -> UpsertReport:
        """Insert or update members in one transaction; running it twice changes nothing more."""
        wanted = {m.number: _row(m) for m in new}
        created = updated = unchanged = 0
        with self.engine.begin() as connection:
            numbers = list(wanted)
            current: dict[str, dict[str, Any]] = {}
            for start in range(0, len(numbers), BATCH):
                query = select(*(members.c[name] for name in FIELDS)).where(
                    members.c.number.in_(numbers[start : start + BATCH])
                )
                current.update({row.number: dict(row._mapping) for row in connection.execute(query)})
            changed = []
            for number, row in wanted.items():
                old = current.get(number)
                if old == row:
                    unchanged += 1
                    continue
                if old is None:
                    created += 1
                else:
                    updated += 1
                changed.append(row)
            for start in range(0, len(changed), BATCH):
                statement = insert(members).values(changed[start : start + BATCH])
                columns = {name: statement.excluded[name] for name in FIELDS if name != "number"}
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[members.c.number], set_={**columns, "updated_at": func.now()}
                    )
                )
        return UpsertReport(created, updated, unchanged)


LEGACY_MEMBER_KEY = "coopsante:membre:"  # where today's Redis holds the registry (one hash each)


def import_from_redis(redis: Any, engine: Engine) -> UpsertReport:
    """Copy the registry today's Redis holds into the table (an upsert: twice changes nothing)."""
    records = [redis.hgetall(key) for key in redis.scan_iter(match=LEGACY_MEMBER_KEY + "*", count=1000)]
    return MemberRegistry(engine).upsert(Member.from_record(r) for r in records if r.get("numero_membre"))
