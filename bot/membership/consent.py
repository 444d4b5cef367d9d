"""Consent before any identity or health detail: the notice (content/consent.yml) and the record.

The record keeps what Law 25 asks a coop to be able to show: which text, when, on which channel,
and the answer. It is an append-only history in PostgreSQL (every answer, a withdrawal too),
keyed by a pseudonym of the sender, so it holds no phone number in clear; the latest entry is the
one in force. A member's erasure removes their history; otherwise a history is kept until its
latest answer is older than the retention (CONSENT_RETENTION_DAYS, by default 365 days).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, Table, Text, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from bot.platform.pseudonym import pseudonym

KEY = "coopsante:consentement:{}"  # where today's Redis held it (ops/import_redis_records.py)
DEFAULT_RETENTION_DAYS = 365

metadata = MetaData()
consents = Table(
    "consents",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("version", Text, nullable=False),
    Column("channel", Text, nullable=False),
    Column("answer", Text, nullable=False),  # oui, non, retire (withdrawn)
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("origin", Text, unique=True),  # an imported entry's Redis key (ops/import_redis_records.py)
)


@dataclass(frozen=True)
class ConsentNotice:
    version: str
    notice: dict[str, str]  # language -> the notice and its question
    declined: dict[str, str]  # language -> what the bot can still do after a no

    def text(self, language: str) -> str:
        return self.notice.get(language) or self.notice["fr"]

    def declined_text(self, language: str) -> str:
        return self.declined.get(language) or self.declined["fr"]


def load_notice(content_dir: Path) -> ConsentNotice:
    data = yaml.safe_load((content_dir / "consent.yml").read_text(encoding="utf-8"))

    def bilingual(raw: Any) -> dict[str, str]:
        if isinstance(raw, str):
            return {"fr": raw.strip()}
        return {str(k): str(v).strip() for k, v in raw.items()}

    notice = ConsentNotice(str(data["version"]), bilingual(data["notice"]), bilingual(data["declined"]))
    if "fr" not in notice.notice or "fr" not in notice.declined:
        raise ValueError("consent.yml: the notice and the answer to a no need French text (fr:)")
    return notice


def consent_key(sender: str) -> str:
    """The subject a sender's answers are filed under (a pseudonym, never the phone)."""
    return pseudonym(sender)


def _entry(row: Any) -> dict[str, str]:
    return {
        "version": row.version,
        "canal": row.channel,
        "reponse": row.answer,
        "horodatage": row.at.astimezone(UTC).isoformat(timespec="seconds"),
    }


class ConsentStore:
    """The consent history over a SQLAlchemy engine (bot/records/database.py)."""

    def __init__(self, engine: Engine, retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
        self.engine = engine
        self.retention_days = retention_days

    def _append(self, sender: str, version: str, channel: str, answer: str, at: datetime | None = None) -> Any:
        values: dict[str, Any] = {
            "subject": consent_key(sender),
            "version": version,
            "channel": channel,
            "answer": answer,
        }
        if at is not None:
            values["at"] = at
        with self.engine.begin() as connection:
            return connection.execute(consents.insert().values(**values).returning(consents)).one()

    def record(self, sender: str, notice: ConsentNotice, channel: str, accepted: bool) -> dict[str, str]:
        return _entry(self._append(sender, notice.version, channel, "oui" if accepted else "non"))

    def history(self, sender: str) -> list[dict[str, str]]:
        """Every answer of this sender, oldest first (for the member's access request)."""
        query = select(consents).where(consents.c.subject == consent_key(sender)).order_by(consents.c.id)
        with self.engine.connect() as connection:
            return [_entry(row) for row in connection.execute(query)]

    def entry(self, sender: str) -> dict[str, str]:
        """The answer in force for this sender (empty when none)."""
        query = (
            select(consents).where(consents.c.subject == consent_key(sender)).order_by(consents.c.id.desc()).limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _entry(row) if row else {}

    def current(self, sender: str, notice: ConsentNotice) -> bool:
        """Whether this sender accepted the current version of the notice (and has not withdrawn)."""
        entry = self.entry(sender)
        return bool(entry) and entry.get("reponse") == "oui" and entry.get("version") == notice.version

    def withdraw(self, sender: str, channel: str = "") -> None:
        """Record that this sender withdrew their consent (the history keeps the earlier answers)."""
        latest = self.entry(sender)
        if latest and latest["reponse"] != "retire":
            self._append(sender, latest["version"], channel or latest["canal"], "retire")

    def erase(self, senders: Iterable[str]) -> int:
        """Remove every answer of these senders (a member's erasure); the number of entries removed."""
        subjects = sorted({consent_key(s) for s in senders})
        if not subjects:
            return 0
        with self.engine.begin() as connection:
            return int(connection.execute(delete(consents).where(consents.c.subject.in_(subjects))).rowcount)

    def purge_expired(self, now: datetime) -> int:
        """Remove the histories whose latest answer is older than the retention; how many entries."""
        cutoff = now - timedelta(days=self.retention_days)
        stale = (
            select(consents.c.subject).group_by(consents.c.subject).having(func.max(consents.c.at) < cutoff)
        ).scalar_subquery()
        with self.engine.begin() as connection:
            return int(connection.execute(delete(consents).where(consents.c.subject.in_(stale))).rowcount)


def import_from_redis(redis: Any, engine: Engine) -> int:
    """Copy the consent records today's Redis holds (one hash per subject, KEY) into the history;
    a record already copied is skipped, so running it twice adds nothing. How many were added."""
    prefix = KEY.format("")
    rows = []
    for key in redis.scan_iter(match=prefix + "*", count=1000):
        record = redis.hgetall(key)
        if not record.get("reponse"):
            continue
        at = datetime.fromisoformat(record["horodatage"]) if record.get("horodatage") else datetime.now(UTC)
        rows.append(
            {
                "subject": key[len(prefix) :],  # a pseudonym of the sender already
                "version": record.get("version", ""),
                "channel": record.get("canal", ""),
                "answer": record["reponse"],
                "at": at,
                "origin": f"{key} {record.get('horodatage', '')}",
            }
        )
    if not rows:
        return 0
    with engine.begin() as connection:
        result = connection.execute(insert(consents).values(rows).on_conflict_do_nothing(index_elements=["origin"]))
    return int(result.rowcount)
