"""Handoff to a clinician: tickets, the queue, claiming, and the live thread of each ticket.

A ticket is a Redis hash; the queue is a sorted set ordered by urgency, then waiting time; each
ticket's thread (member and clinician messages, claims, closing) is a Redis stream that the
console follows live. Claiming is one Lua script, so exactly one clinician gets a ticket even
when two click at the same moment. Tickets and threads expire with the conversations
(TRACKER_RETENTION_DAYS) once closed.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.pseudonym import pseudonym

PREFIX = "coopsante:relais:"
QUEUE = PREFIX + "file"
ON_DUTY = PREFIX + "garde:"  # one key per clinician with the console open, refreshed by a heartbeat
BY_CONVERSATION = PREFIX + "conversation:"  # conversation -> its open ticket
ON_DUTY_SECONDS = 60
STREAM_MAX = 5_000

PRIORITY = {"911": 0, "crise": 0, "urgence": 0, "clinicien": 1}
OUTCOMES = {
    "resolu": "Résolu",
    "consultation": "Consultation réservée",
    "811": "Dirigé vers Info-Santé 811",
    "urgence": "Dirigé vers l'urgence",
    "annule": "Annulé par le membre",
}

# Claim only a waiting ticket, and take it off the queue in the same step.
_CLAIM = """
if redis.call('HGET', KEYS[1], 'statut') ~= 'attente' then return 0 end
redis.call('HSET', KEYS[1], 'statut', 'pris', 'clinicien', ARGV[1], 'clinicien_nom', ARGV[2], 'pris_a', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[4])
return 1
"""


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
    status: str = "attente"  # attente, pris, ferme
    clinician: str = ""
    clinician_name: str = ""
    claimed_at: float = 0.0
    closed_at: float = 0.0
    outcome: str = ""
    flagged: bool = False  # an emergency message arrived during the handoff
    wait_notice_sent: bool = False

    @property
    def priority(self) -> int:
        return 0 if self.flagged else PRIORITY.get(self.disposition, 1)

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
            status=raw.get("statut", "attente"),
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


@dataclass(frozen=True)
class HandoffDesk:
    redis: Any
    retention_seconds: int = 30 * 86400

    def _key(self, ticket_id: str) -> str:
        return f"{PREFIX}ticket:{ticket_id}"

    def _thread(self, ticket_id: str) -> str:
        return f"{PREFIX}fil:{ticket_id}"

    def _score(self, ticket: Ticket) -> float:
        return ticket.priority * 1e11 + ticket.created

    def open(self, ticket: Ticket) -> Ticket:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self._key(ticket.id), mapping=ticket.to_redis())
        pipe.zadd(QUEUE, {ticket.id: self._score(ticket)})
        pipe.set(BY_CONVERSATION + pseudonym(ticket.conversation), ticket.id)
        pipe.execute()
        self.post(ticket.id, "ouvert", "", "")
        return ticket

    def get(self, ticket_id: str) -> Ticket | None:
        raw = self.redis.hgetall(self._key(ticket_id))
        return Ticket.from_redis(raw) if raw else None

    def open_ticket_of(self, conversation: str) -> Ticket | None:
        """The conversation's ticket while its handoff is on (waiting or claimed)."""
        ticket_id = self.redis.get(BY_CONVERSATION + pseudonym(conversation))
        ticket = self.get(ticket_id) if ticket_id else None
        return ticket if ticket and ticket.status in ("attente", "pris") else None

    def queue(self) -> list[Ticket]:
        """Waiting tickets, most urgent first, then the longest waiting."""
        return [t for t in (self.get(i) for i in self.redis.zrange(QUEUE, 0, -1)) if t]

    def claimed_by(self, clinician: str) -> list[Ticket]:
        ids = self.redis.smembers(f"{PREFIX}pris:{clinician}")
        tickets = [t for t in (self.get(i) for i in ids) if t and t.status == "pris"]
        return sorted(tickets, key=lambda t: t.claimed_at)

    def claim(self, ticket_id: str, clinician: str, clinician_name: str) -> bool:
        """True for the one clinician who gets the ticket; False for everyone else."""
        won = bool(
            self.redis.eval(
                _CLAIM, 2, self._key(ticket_id), QUEUE, clinician, clinician_name, repr(time.time()), ticket_id
            )
        )
        if won:
            from bot.metrics import record_claim_wait

            ticket = self.get(ticket_id)
            if ticket:
                record_claim_wait(self.redis, ticket.claimed_at - ticket.created)
            self.redis.sadd(f"{PREFIX}pris:{clinician}", ticket_id)
            self.post(ticket_id, "pris", clinician_name, "")
        return won

    def post(self, ticket_id: str, kind: str, author: str, text: str, flagged: bool = False) -> str:
        """Add to a ticket's thread: membre, clinicien, pris, ferme, signal, ouvert, avis."""
        fields = {
            "type": kind,
            "auteur": author,
            "texte": text,
            "signale": "1" if flagged else "",
            "a": repr(time.time()),
        }
        entry_id: str = self.redis.xadd(self._thread(ticket_id), fields, maxlen=STREAM_MAX, approximate=True)
        return entry_id

    def thread(self, ticket_id: str, after: str = "-", count: int = 500) -> list[dict[str, str]]:
        start = after if after == "-" else f"({after}"
        return [dict(fields, id=i) for i, fields in self.redis.xrange(self._thread(ticket_id), start, "+", count)]

    def wait_thread(self, ticket_id: str, after: str, timeout_ms: int) -> list[dict[str, str]]:
        """New thread entries after `after`, waiting up to `timeout_ms` for one (for live views)."""
        answer = self.redis.xread({self._thread(ticket_id): after}, block=timeout_ms, count=100)
        return [dict(fields, id=i) for _, entries in answer for i, fields in entries]

    def member_said(self, ticket_id: str, text: str, emergency: bool) -> None:
        self.post(ticket_id, "membre", "", text, flagged=emergency)
        if emergency:
            self.redis.hset(self._key(ticket_id), "signale", "1")
            ticket = self.get(ticket_id)
            if ticket and ticket.status == "attente":
                self.redis.zadd(QUEUE, {ticket_id: self._score(ticket)})  # to the front of the queue

    def close(self, ticket_id: str, outcome: str, by: str) -> Ticket | None:
        ticket = self.get(ticket_id)
        if not ticket or ticket.status == "ferme":
            return None
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self._key(ticket_id), mapping={"statut": "ferme", "issue": outcome, "ferme_a": repr(time.time())})
        pipe.zrem(QUEUE, ticket_id)
        pipe.srem(f"{PREFIX}pris:{ticket.clinician}", ticket_id)
        pipe.delete(BY_CONVERSATION + pseudonym(ticket.conversation))
        pipe.expire(self._key(ticket_id), self.retention_seconds)
        pipe.expire(self._thread(ticket_id), self.retention_seconds)
        pipe.execute()
        self.post(ticket_id, "ferme", by, OUTCOMES.get(outcome, outcome))
        return self.get(ticket_id)

    def mark_wait_notice(self, ticket_id: str) -> None:
        self.redis.hset(self._key(ticket_id), "avis_attente", "1")

    def overdue(self, timeout_seconds: float) -> list[Ticket]:
        """Waiting tickets nobody claimed in time and whose member was not yet told."""
        now = time.time()
        return [t for t in self.queue() if not t.wait_notice_sent and now - t.created >= timeout_seconds]

    def heartbeat(self, clinician: str) -> None:
        self.redis.set(ON_DUTY + clinician, "1", ex=ON_DUTY_SECONDS)

    def off_duty(self, clinician: str) -> None:
        self.redis.delete(ON_DUTY + clinician)

    def on_duty(self) -> int:
        return sum(1 for _ in self.redis.scan_iter(ON_DUTY + "*", count=100))
