"""The member registry in Redis: one hash per member, one set of member numbers per phone.

A family may share one phone, so a phone leads to a set of members. An import is written in
one MULTI/EXEC transaction: it lands whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.members import Member

MEMBER_KEY = "coopsante:membre:{}"
PHONE_KEY = "coopsante:tel:{}"
INDEX_KEY = "coopsante:membres"


@dataclass(frozen=True)
class UpsertReport:
    created: int
    updated: int
    unchanged: int


class MemberRegistry:
    """Reads and writes members; takes a redis-py client (decode_responses=True)."""

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def get(self, number: str) -> Member | None:
        record = self.redis.hgetall(MEMBER_KEY.format(number.strip().upper()))
        return Member.from_record(record) if record else None

    def by_phone(self, phone: str) -> list[Member]:
        """Every member reached at this E.164 phone number (a family may share one)."""
        numbers = sorted(self.redis.smembers(PHONE_KEY.format(phone)))
        members = [self.get(n) for n in numbers]
        return [m for m in members if m is not None]

    def count(self) -> int:
        return int(self.redis.scard(INDEX_KEY))

    def upsert(self, members: Iterable[Member]) -> UpsertReport:
        """Insert or update members in one transaction; running it twice changes nothing more."""
        members = list(members)
        pipe = self.redis.pipeline(transaction=False)
        for member in members:
            pipe.hgetall(MEMBER_KEY.format(member.number))
        current = pipe.execute()

        created = updated = unchanged = 0
        tx = self.redis.pipeline(transaction=True)
        for member, old in zip(members, current, strict=True):
            record = member.to_record()
            if old == record:
                unchanged += 1
                continue
            if old:
                updated += 1
                if old.get("telephone") != member.phone:
                    tx.srem(PHONE_KEY.format(old["telephone"]), member.number)
            else:
                created += 1
            key = MEMBER_KEY.format(member.number)
            tx.delete(key)
            tx.hset(key, mapping=record)
            tx.sadd(PHONE_KEY.format(member.phone), member.number)
            tx.sadd(INDEX_KEY, member.number)
        tx.execute()
        return UpsertReport(created, updated, unchanged)
