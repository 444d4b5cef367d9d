"""Handoff to a clinician: tickets, the queue, claiming, and the live thread of each ticket.

Tickets and their threads (member and clinician messages, claims, closing) are records in
PostgreSQL (tables `handoff_tickets` and `handoff_messages`, migrations/versions/0002). The queue
is the waiting tickets, most urgent first, then the longest waiting. Claiming is one conditional
UPDATE (only a waiting, unclaimed ticket), checked by its row count, and the schema refuses to
change who holds a ticket once claimed: exactly one clinician gets a ticket even when two click at
the same moment.

Redis keeps what is ephemeral: who is on duty (heartbeats per coop) and the wake-up
signal of the console's live views (a pub/sub channel per ticket; the messages themselves are read
from PostgreSQL).

Retention (`purge_expired`): a closed ticket and its thread are deleted `retention_seconds` after
closing (TRACKER_RETENTION_DAYS, as the conversations); a ticket nobody claimed is deleted
UNCLAIMED_RETENTION_DAYS after it was opened (its member was told long before to call 811 or to
book). A ticket a clinician holds stays until they close it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import redis as redis_errors
from sqlalchemy import bindparam
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine, Row

from bot.membership.match import MEMBER_MATCH, member_parameters, member_statement
from bot.triage.dispositions import is_emergency

log = logging.getLogger(__name__)

PREFIX = "coopsante:relais:"
ON_DUTY = PREFIX + "garde:"  # per coop, a sorted set: clinician with the console open -> last heartbeat
WAKE = PREFIX + "reveil:"  # pub/sub channel per ticket: a new thread message (its id), to wake live views
ON_DUTY_SECONDS = 60
UNCLAIMED_RETENTION_DAYS = 7

OUTCOMES = {
    "resolu": "Résolu",
    "consultation": "Consultation réservée",
    "811": "Dirigé vers Info-Santé 811",
    "urgence": "Dirigé vers l'urgence",
    "annule": "Annulé par le membre",
}

# Legacy Redis keys, read by import_from_redis only.
LEGACY_QUEUE = PREFIX + "file"
LEGACY_TICKET = PREFIX + "ticket:"
LEGACY_THREAD = PREFIX + "fil:"


class TicketStatus(StrEnum):
    """A ticket's status; the values are what `handoff_tickets.status` stores."""

    WAITING = "attente"
    CLAIMED = "pris"
    CLOSED = "ferme"


_STATUSES = {"waiting": TicketStatus.WAITING, "claimed": TicketStatus.CLAIMED, "closed": TicketStatus.CLOSED}


@dataclass
class Ticket:
    id: str
    conversation: str  # the Rasa sender id: a phone (SMS) or a web session id
    channel: str  # "sms", "web" or "voice" (a phone call: reached back by SMS)
    coop: str
    disposition: str
    reasons: list[str]
    summary: dict[str, str]  # motif, pour_qui, depuis_quand, age, membre...
    member_number: str = ""
    member_name: str = ""
    created: float = field(default_factory=time.time)
    status: str = TicketStatus.WAITING  # a TicketStatus value
    clinician: str = ""
    clinician_name: str = ""
    claimed_at: float = 0.0
    closed_at: float = 0.0
    outcome: str = ""
    flagged: bool = False  # an emergency message arrived during the handoff
    wait_notice_sent: bool = False

    @property
    def priority(self) -> int:
        return 0 if self.flagged or is_emergency(self.disposition) else 1

    @property
    def waiting_seconds(self) -> float:
        return max(0.0, (self.claimed_at or time.time()) - self.created)

    def to_redis(self) -> dict[str, str]:
        record = asdict(self)
        return {
            "id": self.id,
            "conversation": self.conversation,
            "canal": self.channel,
            "coop": self.coop,
            "disposition": self.disposition,
            "raisons": json.dumps(self.reasons, ensure_ascii=False),
            "resume": json.dumps(self.summary, ensure_ascii=False),
            "membre": self.member_number,
            "membre_nom": self.member_name,
            "cree_a": repr(self.created),
            "statut": self.status,
            "clinicien": self.clinician,
            "clinicien_nom": self.clinician_name,
            "pris_a": repr(record["claimed_at"]),
            "ferme_a": repr(record["closed_at"]),
            "issue": self.outcome,
            "signale": "1" if self.flagged else "",
            "avis_attente": "1" if self.wait_notice_sent else "",
        }

    @classmethod
    def from_redis(cls, raw: Mapping[str, str]) -> Ticket:
        return cls(
            id=raw["id"],
            conversation=raw["conversation"],
            channel=raw["canal"],
            coop=raw.get("coop", ""),
            disposition=raw["disposition"],
            reasons=list(json.loads(raw.get("raisons") or "[]")),
            summary=dict(json.loads(raw.get("resume") or "{}")),
            member_number=raw.get("membre", ""),
            member_name=raw.get("membre_nom", ""),
            created=float(raw["cree_a"]),
            status=raw.get("statut", TicketStatus.WAITING),
            clinician=raw.get("clinicien", ""),
            clinician_name=raw.get("clinicien_nom", ""),
            claimed_at=float(raw.get("pris_a") or 0),
            closed_at=float(raw.get("ferme_a") or 0),
            outcome=raw.get("issue", ""),
            flagged=bool(raw.get("signale")),
            wait_notice_sent=bool(raw.get("avis_attente")),
        )


def new_ticket_id() -> str:
    return "T" + time.strftime("%y%m%d") + "-" + secrets.token_hex(4)


def _instant(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _epoch(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


_COLUMNS = (
    "id, conversation, channel, coop, disposition, reasons, summary, member_number, member_name, created_at,"
    " status, claimed_by, claimed_by_name, claimed_at, closed_at, outcome, flagged, wait_notice_sent"
)
_INSERT = sql(
    f"INSERT INTO handoff_tickets ({_COLUMNS}) VALUES (:id, :conversation, :channel, :coop, :disposition,"
    " :reasons, :summary, :member_number, :member_name, :created_at, :status, :claimed_by, :claimed_by_name,"
    " :claimed_at, :closed_at, :outcome, :flagged, :wait_notice_sent) ON CONFLICT (id) DO NOTHING"
).bindparams(bindparam("reasons", type_=JSONB), bindparam("summary", type_=JSONB))
_POST = sql(
    "INSERT INTO handoff_messages (ticket_id, kind, author, body, flagged, posted_at)"
    " VALUES (:ticket, :kind, :author, :body, :flagged, :at) RETURNING id"
)


def _row_values(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "conversation": ticket.conversation,
        "channel": ticket.channel,
        "coop": ticket.coop,
        "disposition": ticket.disposition,
        "reasons": list(ticket.reasons),
        "summary": dict(ticket.summary),
        "member_number": ticket.member_number,
        "member_name": ticket.member_name,
        "created_at": _instant(ticket.created),
        "status": ticket.status,
        "claimed_by": ticket.clinician or None,
        "claimed_by_name": ticket.clinician_name,
        "claimed_at": _instant(ticket.claimed_at) if ticket.clinician else None,
        "closed_at": _instant(ticket.closed_at or ticket.created) if ticket.status == TicketStatus.CLOSED else None,
        "outcome": ticket.outcome,
        "flagged": ticket.flagged,
        "wait_notice_sent": ticket.wait_notice_sent,
    }


def _ticket(row: Row) -> Ticket:
    return Ticket(
        id=row.id,
        conversation=row.conversation,
        channel=row.channel,
        coop=row.coop,
        disposition=row.disposition,
        reasons=list(row.reasons or []),
        summary=dict(row.summary or {}),
        member_number=row.member_number,
        member_name=row.member_name,
        created=_epoch(row.created_at),
        status=row.status,
        clinician=row.claimed_by or "",
        clinician_name=row.claimed_by_name,
        claimed_at=_epoch(row.claimed_at),
        closed_at=_epoch(row.closed_at),
        outcome=row.outcome,
        flagged=row.flagged,
        wait_notice_sent=row.wait_notice_sent,
    )


def _entry(row: Row) -> dict[str, str]:
    """A thread message as the console shows it (the fields the Redis stream had)."""
    return {
        "id": str(row.id),
        "type": row.kind,
        "auteur": row.author,
        "texte": row.body,
        "signale": "1" if row.flagged else "",
        "a": repr(row.posted_at.timestamp()),
    }


@dataclass(frozen=True)
class HandoffDesk:
    engine: Engine
    redis: Any
    retention_seconds: int = 30 * 86400

    def open(self, ticket: Ticket) -> Ticket:
        with self.engine.begin() as connection:
            connection.execute(_INSERT, _row_values(ticket))
            entry = self._post(connection, ticket.id, "ouvert", "", "", False)
        self._wake(ticket.id, entry)
        return ticket

    def _select(self, condition: str, **parameters: Any) -> list[Ticket]:
        """The tickets that meet `condition` (SQL after WHERE, with its ORDER BY and LIMIT)."""
        with self.engine.connect() as connection:
            rows = connection.execute(sql(f"SELECT {_COLUMNS} FROM handoff_tickets WHERE {condition}"), parameters)
            return [_ticket(row) for row in rows]

    def get(self, ticket_id: str) -> Ticket | None:
        return next(iter(self._select("id = :id", id=ticket_id)), None)

    def open_ticket_of(self, conversation: str) -> Ticket | None:
        """The conversation's ticket while its handoff is on (waiting or claimed): the newest one."""
        found = self._select(
            "conversation = :conversation AND status IN (:waiting, :claimed) ORDER BY created_at DESC LIMIT 1",
            conversation=conversation,
            **_STATUSES,
        )
        return found[0] if found else None

    def queue(self) -> list[Ticket]:
        """Waiting tickets, most urgent first, then the longest waiting."""
        waiting = self._select("status = :waiting ORDER BY created_at, id", **_STATUSES)
        return sorted(waiting, key=lambda t: t.priority)  # a stable sort keeps the age order

    def claimed_by(self, clinician: str) -> list[Ticket]:
        return self._select(
            "status = :claimed AND claimed_by = :clinician ORDER BY claimed_at, id", clinician=clinician, **_STATUSES
        )

    def board(self, clinician: str) -> tuple[list[Ticket], list[Ticket]]:
        """`queue()` and `claimed_by(clinician)` in one query: the console's live view, refreshed often."""
        found = self._select(
            "status = 'attente' OR (status = 'pris' AND claimed_by = :clinician) ORDER BY created_at, id",
            clinician=clinician,
        )
        waiting = sorted((t for t in found if t.status == "attente"), key=lambda t: t.priority)
        mine = sorted((t for t in found if t.status == "pris"), key=lambda t: (t.claimed_at, t.id))
        return waiting, mine

    def claim(self, ticket_id: str, clinician: str, clinician_name: str) -> bool:
        """True for the one clinician who gets the ticket; False for everyone else."""
        with self.engine.begin() as connection:
            row = connection.execute(
                sql(
                    "UPDATE handoff_tickets SET status = :claimed, claimed_by = :clinician, claimed_by_name = :name,"
                    " claimed_at = :now WHERE id = :id AND status = :waiting AND claimed_by IS NULL"
                    " RETURNING claimed_at - created_at AS waited"
                ),
                {
                    "id": ticket_id,
                    "clinician": clinician,
                    "name": clinician_name,
                    "now": _instant(time.time()),
                    **_STATUSES,
                },
            ).first()
            if row is None:
                return False
            entry = self._post(connection, ticket_id, "pris", clinician_name, "", False)
        record_claim_wait(self.redis, row.waited.total_seconds())
        self._wake(ticket_id, entry)
        return True

    def post(self, ticket_id: str, kind: str, author: str, text: str, flagged: bool = False) -> str:
        """Add to a ticket's thread: membre, clinicien, pris, ferme, signal, ouvert, avis."""
        with self.engine.begin() as connection:
            entry = self._post(connection, ticket_id, kind, author, text, flagged)
        self._wake(ticket_id, entry)
        return entry

    def _post(self, connection: Connection, ticket_id: str, kind: str, author: str, body: str, flagged: bool) -> str:
        values = {"ticket": ticket_id, "kind": kind, "author": author, "body": body, "flagged": flagged}
        return str(connection.execute(_POST, {**values, "at": _instant(time.time())}).scalar_one())

    def _wake(self, ticket_id: str, entry: str) -> None:
        """Tell the live views of this ticket that its thread has a new message (the message is committed)."""
        try:
            self.redis.publish(WAKE + ticket_id, entry)
        except redis_errors.RedisError:
            log.warning("handoff.wake_failed")  # the live views still poll at their timeout

    def thread(self, ticket_id: str, after: str = "-", count: int = 500) -> list[dict[str, str]]:
        with self.engine.connect() as connection:
            return self._entries(connection, ticket_id, self._after(connection, ticket_id, after), count)

    def _after(self, connection: Connection, ticket_id: str, after: str) -> int:
        """A thread position: "-" is the start, "$" the newest message, else a message id."""
        if after.isdigit():
            return int(after)
        if after == "-":
            return 0
        newest = connection.execute(
            sql("SELECT max(id) FROM handoff_messages WHERE ticket_id = :ticket"), {"ticket": ticket_id}
        ).scalar()
        return int(newest or 0)

    def _entries(self, connection: Connection, ticket_id: str, after: int, count: int) -> list[dict[str, str]]:
        rows = connection.execute(
            sql(
                "SELECT id, kind, author, body, flagged, posted_at FROM handoff_messages"
                " WHERE ticket_id = :ticket AND id > :after ORDER BY id LIMIT :count"
            ),
            {"ticket": ticket_id, "after": after, "count": count},
        ).all()
        return [_entry(row) for row in rows]

    def position(self, ticket_id: str, after: str) -> int:
        """The message id a thread position ("-", "$" or an id) stands for."""
        with self.engine.connect() as connection:
            return self._after(connection, ticket_id, after)

    def entries_after(self, ticket_id: str, position: int, count: int = 100) -> list[dict[str, str]]:
        with self.engine.connect() as connection:
            return self._entries(connection, ticket_id, position, count)

    def wait_thread(self, ticket_id: str, after: str, timeout_ms: int) -> list[dict[str, str]]:
        """New thread entries after `after`, waiting up to `timeout_ms` for one (for live views).

        Subscribed to the ticket's wake-up channel before reading, so that a message posted between
        the read and the wait still wakes it."""
        deadline = time.monotonic() + timeout_ms / 1000
        wake = self.redis.pubsub()
        try:
            wake.subscribe(WAKE + ticket_id)
            wake.get_message(timeout=1.0)  # the subscription's confirmation: from here on, nothing is missed
            position = self.position(ticket_id, after)
            while True:
                entries = self.entries_after(ticket_id, position)
                remaining = deadline - time.monotonic()
                if entries or remaining <= 0:
                    return entries
                wake.get_message(timeout=remaining)
        finally:
            wake.close()

    def member_said(self, ticket_id: str, text: str, emergency: bool) -> None:
        with self.engine.begin() as connection:
            entry = self._post(connection, ticket_id, "membre", "", text, emergency)
            if emergency:  # to the front of the queue while it waits
                connection.execute(sql("UPDATE handoff_tickets SET flagged = true WHERE id = :id"), {"id": ticket_id})
        self._wake(ticket_id, entry)

    def close(self, ticket_id: str, outcome: str, by: str) -> Ticket | None:
        with self.engine.begin() as connection:
            closed = connection.execute(
                sql(
                    "UPDATE handoff_tickets SET status = :closed, outcome = :outcome, closed_at = :now"
                    " WHERE id = :id AND status <> :closed"
                ),
                {"id": ticket_id, "outcome": outcome, "now": _instant(time.time()), **_STATUSES},
            ).rowcount
            if not closed:
                return None
            entry = self._post(connection, ticket_id, "ferme", by, OUTCOMES.get(outcome, outcome), False)
        self._wake(ticket_id, entry)
        return self.get(ticket_id)

    def mark_wait_notice(self, ticket_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sql("UPDATE handoff_tickets SET wait_notice_sent = true WHERE id = :id"), {"id": ticket_id}
            )

    def take_wait_notice(self, ticket_id: str) -> bool:
        """Mark the ticket's member as told of the wait; True for the one caller that marked it first
        (two workers never both tell the same member)."""
        with self.engine.begin() as connection:
            taken = connection.execute(
                sql(
                    "UPDATE handoff_tickets SET wait_notice_sent = true"
                    " WHERE id = :id AND NOT wait_notice_sent AND status = :waiting"
                ),
                {"id": ticket_id, **_STATUSES},
            ).rowcount
        return bool(taken)

    def overdue(self, timeout_seconds: float) -> list[Ticket]:
        """Waiting tickets nobody claimed in time and whose member was not yet told."""
        now = time.time()
        return [t for t in self.queue() if not t.wait_notice_sent and now - t.created >= timeout_seconds]

    def heartbeat(self, clinician: str, coops: Iterable[str]) -> None:
        """The clinician has the console open for these coops (their own): on duty for a minute more."""
        beat(self.redis.pipeline(transaction=False), clinician, coops).execute()

    def off_duty(self, clinician: str, coops: Iterable[str]) -> None:
        leave(self.redis.pipeline(transaction=False), clinician, coops).execute()

    def on_duty(self, *coops: str) -> int:
        """Clinicians on duty for any of these coops (every coop when none is named): a member of one
        coop is answered live only by that coop's clinicians."""
        named = list(coops) or [
            _decoded(k).removeprefix(ON_DUTY) for k in self.redis.scan_iter(ON_DUTY + "*", count=100)
        ]
        return on_duty_count(count_on_duty(self.redis.pipeline(transaction=False), named).execute())

    # --- Retention and erasure ----------------------------------------------------------------------

    def purge_expired(self, now: datetime) -> int:
        """Delete the tickets (and threads) past their retention: closed ones `retention_seconds` after
        closing, waiting ones nobody claimed UNCLAIMED_RETENTION_DAYS after opening. The count deleted."""
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    sql(
                        "DELETE FROM handoff_tickets WHERE (status = :closed AND closed_at < :closed_before)"
                        " OR (status = :waiting AND created_at < :opened_before)"
                    ),
                    {
                        **_STATUSES,
                        "closed_before": now - timedelta(seconds=self.retention_seconds),
                        "opened_before": now - timedelta(days=UNCLAIMED_RETENTION_DAYS),
                    },
                ).rowcount
            )

    def erase_member(self, member_number: str | None, phones: Collection[str], conversations: Collection[str]) -> int:
        """Delete every ticket, and its thread, whose member number, phone or conversation matches."""
        statement = member_statement(f"DELETE FROM handoff_tickets WHERE {MEMBER_MATCH}")
        with self.engine.begin() as connection:
            return int(connection.execute(statement, member_parameters(member_number, phones, conversations)).rowcount)


# On duty, as commands queued on a pipeline, blocking or `redis.asyncio` alike (queuing is the same; the
# caller executes it, or awaits it): the console's live views send a heartbeat and a count in one round trip.


def beat(pipe: Any, clinician: str, coops: Iterable[str]) -> Any:
    """Queue a heartbeat: the clinician is on duty for these coops a minute more (stale entries go)."""
    now = time.time()
    for coop in coops:
        pipe.zadd(ON_DUTY + coop, {clinician: now})
        pipe.zremrangebyscore(ON_DUTY + coop, "-inf", now - ON_DUTY_SECONDS)
        pipe.expire(ON_DUTY + coop, ON_DUTY_SECONDS)
    return pipe


def leave(pipe: Any, clinician: str, coops: Iterable[str]) -> Any:
    """Queue the clinician's leaving duty for these coops."""
    for coop in coops:
        pipe.zrem(ON_DUTY + coop, clinician)
    return pipe


def count_on_duty(pipe: Any, coops: Iterable[str]) -> Any:
    """Queue one read per coop of who is on duty; `on_duty_count` reads the replies."""
    since = time.time() - ON_DUTY_SECONDS
    for coop in coops:
        pipe.zrangebyscore(ON_DUTY + coop, since, "+inf")
    return pipe


def on_duty_count(replies: Iterable[Any]) -> int:
    """Clinicians on duty in `count_on_duty`'s replies (one clinician of several coops counts once)."""
    return len({str(c) for found in replies for c in found})


async def wait_thread_async(
    desk: HandoffDesk, live: Any, ticket_id: str, after: str, timeout_ms: int
) -> list[dict[str, str]]:
    """`HandoffDesk.wait_thread` for an event loop: the wake-up channel over `live`, a `redis.asyncio`
    client, and each PostgreSQL read in a thread; no thread is held while it waits."""
    deadline = time.monotonic() + timeout_ms / 1000
    wake = live.pubsub()
    try:
        await wake.subscribe(WAKE + ticket_id)
        await wake.get_message(timeout=1.0)  # the subscription's confirmation: from here on, nothing is missed
        position = await asyncio.to_thread(desk.position, ticket_id, after)
        while True:
            entries = await asyncio.to_thread(desk.entries_after, ticket_id, position, 100)
            remaining = deadline - time.monotonic()
            if entries or remaining <= 0:
                return entries
            await wake.get_message(timeout=remaining)
    finally:
        await wake.close()


def import_from_redis(redis: Any, engine: Engine) -> int:
    """Copy the tickets (and their threads) that Redis still holds into PostgreSQL; the count imported.

    A ticket already in PostgreSQL is left as it is, with its thread: running it twice imports nothing twice."""
    imported = 0
    for key in redis.scan_iter(LEGACY_TICKET + "*", count=500):
        raw = _text_map(redis.hgetall(key))
        if not raw.get("id") or not raw.get("cree_a"):
            continue
        ticket = Ticket.from_redis(raw)
        if ticket.status not in tuple(TicketStatus) or (ticket.status == TicketStatus.CLAIMED and not ticket.clinician):
            ticket.status = TicketStatus.WAITING
        if ticket.status == TicketStatus.WAITING:
            ticket.clinician = ""
        entries = redis.xrange(LEGACY_THREAD + ticket.id, "-", "+")
        with engine.begin() as connection:
            if not connection.execute(_INSERT, _row_values(ticket)).rowcount:
                continue
            for _, fields in entries:
                fields = _text_map(fields)
                connection.execute(
                    _POST,
                    {
                        "ticket": ticket.id,
                        "kind": fields.get("type", ""),
                        "author": fields.get("auteur", ""),
                        "body": fields.get("texte", ""),
                        "flagged": bool(fields.get("signale")),
                        "at": _instant(float(fields.get("a") or ticket.created)),
                    },
                )
        imported += 1
    return imported


def _text_map(raw: Mapping[Any, Any]) -> dict[str, str]:
    """A Redis hash or stream entry as text, whether the client decodes responses or not."""
    return {_decoded(k): _decoded(v) for k, v in raw.items()}


def _decoded(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


CLAIM_WAIT_KEY = "coopsante:metriques:prise"  # hash: nombre, somme (seconds), le:<bound> (cumulative counts)
CLAIM_WAIT_BUCKETS = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200)  # seconds from ticket to claim


def record_claim_wait(redis: Any, seconds: float) -> None:
    """One claim's wait, for the histogram bot/metrics.py serves (shared by every process, hence Redis)."""
    pipe = redis.pipeline()
    pipe.hincrbyfloat(CLAIM_WAIT_KEY, "somme", seconds)
    pipe.hincrby(CLAIM_WAIT_KEY, "nombre", 1)
    for bound in CLAIM_WAIT_BUCKETS:
        if seconds <= bound:
            pipe.hincrby(CLAIM_WAIT_KEY, f"le:{bound:g}", 1)
    pipe.execute()
