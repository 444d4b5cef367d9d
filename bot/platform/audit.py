"""The audit trail: an append-only PostgreSQL table of who did what, never the values typed.

Two kinds of entries, kept apart by a `kind` column: security events (`record`: login attempts,
lock-outs, identity checks), whose subjects (a phone, a member number, a sender) are stored as
pseudonyms, so the trail proves which attempts were made on an identity without holding it in
clear; and access events (`access`: a clinician's access to a handoff, the staff account in
clear). A trigger (migrations/versions/0003) refuses UPDATE and DELETE; the one exception is the
retention purge (`purge_expired`), which may delete only entries older than the retention
(AUDIT_RETENTION_DAYS, by default 365 days). The trail is kept when a member's data is erased:
Law 25 lets a coop keep what it needs to account for accesses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Identity, MetaData, Table, Text, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine

from bot.platform.pseudonym import pseudonym

DEFAULT_RETENTION_DAYS = 365
STREAM = "coopsante:audit"  # where today's Redis held it (ops/import_redis_records.py)
KINDS = ("access", "security")
FIELDS = {
    "access": ("actor", "action", "ticket", "detail", "coop"),
    "security": ("event", "outcome", "subjects"),
}

metadata = MetaData()
audit = Table(
    "audit",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("kind", Text, nullable=False),
    *(
        Column(name, Text, nullable=False, server_default="")
        for name in sorted({*FIELDS["access"], *FIELDS["security"]})
    ),
    Column("origin", Text, unique=True),  # an imported entry's Redis stream id (ops/import_redis_records.py)
)


class AuditLog:
    """The trail over a SQLAlchemy engine (bot/records/database.py)."""

    def __init__(self, engine: Engine, retention_days: float = DEFAULT_RETENTION_DAYS) -> None:
        self.engine = engine
        self.retention_days = retention_days

    def _add(self, **values: Any) -> None:
        with self.engine.begin() as connection:
            connection.execute(audit.insert().values(**values))

    def record(self, event: str, outcome: str, *subjects: str) -> None:
        """A security event: login attempts, lock-outs, identity checks; subjects pseudonymised."""
        self._add(kind="security", event=event, outcome=outcome, subjects=",".join(pseudonym(s) for s in subjects))

    def access(self, actor: str, action: str, ticket: str, detail: str = "", coop: str = "") -> None:
        """A clinician's access to a handoff: who (the staff account, in clear), what, which ticket."""
        self._add(kind="access", actor=actor, action=action, ticket=ticket, detail=detail, coop=coop)

    def entries(
        self,
        kind: str = "access",
        coop: str | None = None,
        actor: str | None = None,
        ticket: str | None = None,
        before: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, str]]:
        """Entries of one kind ("access" or "security"), newest first, older than `before` (an entry id)
        when given, that match every filter given. For security entries, `actor` matches the
        pseudonymised subjects (an e-mail or phone given in clear is pseudonymised to compare)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        query = select(audit).where(audit.c.kind == kind)
        for column, value in (("coop", coop), ("ticket", ticket)):
            if value is not None:
                query = query.where(audit.c[column] == value)
        if actor is not None and kind == "access":
            query = query.where(audit.c.actor == actor)
        elif actor is not None:  # a security event names its subjects by pseudonym: an e-mail or phone given
            subjects = func.string_to_array(audit.c.subjects, ",")
            query = query.where(literal(pseudonym(actor)) == func.any(subjects))
        if before is not None:
            if not str(before).isdigit():
                return []
            query = query.where(audit.c.id < int(before))
        query = query.order_by(audit.c.id.desc()).limit(max(0, limit))
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            {
                "id": str(row.id),
                "at": row.at.astimezone(UTC).isoformat(timespec="seconds"),
                **{name: getattr(row, name) for name in FIELDS[kind]},
            }
            for row in rows
        ]

    def purge_expired(self, now: datetime) -> int:
        """Delete the entries older than the retention (the only DELETE the trigger lets through)."""
        cutoff = now - timedelta(days=self.retention_days)
        with self.engine.begin() as connection:
            connection.execute(
                text("SELECT set_config('coopsante.audit_purge_before', :cutoff, true)"),
                {"cutoff": cutoff.isoformat()},
            )
            return int(connection.execute(audit.delete().where(audit.c.at < cutoff)).rowcount)


def import_from_redis(redis: Any, engine: Engine) -> int:
    """Copy the trail today's Redis stream holds (STREAM) into the table; entries already copied
    are skipped (by their stream id), so running it twice adds nothing. How many were added."""
    added = 0
    last = "-"
    while True:
        batch = redis.xrange(STREAM, min=last, count=1000)
        batch = [(entry_id, fields) for entry_id, fields in batch if entry_id != last]
        if not batch:
            return added
        rows = []
        for entry_id, fields in batch:
            at = datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC)
            event = fields.get("evenement", "")
            if "acteur" in fields:
                row = {
                    "kind": "access",
                    "actor": fields.get("acteur", ""),
                    "action": event.removeprefix("console."),
                    "ticket": fields.get("ticket", ""),
                    "detail": fields.get("detail", ""),
                }
            else:
                row = {
                    "kind": "security",
                    "event": event,
                    "outcome": fields.get("resultat", ""),
                    "subjects": fields.get("sujets", ""),  # pseudonyms already
                }
            blank = dict.fromkeys((*FIELDS["access"], *FIELDS["security"]), "")
            rows.append({**blank, **row, "at": at, "origin": entry_id})
        with engine.begin() as connection:
            result = connection.execute(insert(audit).values(rows).on_conflict_do_nothing(index_elements=["origin"]))
            added += int(result.rowcount)
        last = batch[-1][0]
