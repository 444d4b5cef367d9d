"""The service record: one de-identified row per member turn, for the coop managers' dashboard.

Nothing else lasts of a conversation (Rasa's trackers expire, Prometheus counters are per process),
yet a coop answers for its service. Each turn the action server decides writes one row to
`service_events` (migrations/versions/0004): the coop, the channel, the hour (never the minute),
the request's disposition, how the turn was handed on (`HANDED`), the topic of the bot's own answer,
whether it did not understand, and two pseudonyms (bot/platform/pseudonym.py) that only count distinct
conversations and members. No phone, name, member number or message text is kept; the text of a
question the bot did not understand is kept only when the member consented to improvement use,
trimmed, with phones, e-mails, member numbers, dates and any other digits masked, and the
dashboard shows it only in aggregate (bot/records/service_report.py).

Retention: rows are deleted RETENTION_DAYS (13 months) after their hour, so that a month can be
compared with the same month a year before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text as sql
from sqlalchemy.engine import Engine

from bot.membership.verification import phone_of_sender
from bot.platform.log_redaction import redact
from bot.platform.pseudonym import pseudonym
from bot.triage.dispositions import Disposition

RETENTION_DAYS = 396  # 13 months
DISPOSITIONS = tuple(Disposition)
# How a turn was handed on, strongest first: a ticket for a clinician, an emergency answer (911,
# crisis line, 811), the bot's own answer, "did not understand", or none of those (a form's step).
HANDED = ("relais", "ressources", "reponse", "incompris", "")
CHANNELS = ("sms", "web", "voice")
MAX_QUESTION = 200
IMPROVEMENT_FIELD = "amelioration"  # a consent entry's answer to improvement use ("oui"), when recorded

_INSERT = sql(
    "INSERT INTO service_events (coop, channel, hour, conversation_key, member_key, disposition, handed, topic,"
    " fallback, question) VALUES (:coop, :channel, :hour, :conversation_key, :member_key, :disposition, :handed,"
    " :topic, :fallback, :question)"
)


@dataclass(frozen=True)
class Turn:
    """What a turn did, as the service record keeps it (no identity, no text but a consented question)."""

    coop: str
    channel: str  # sms, web, voice (rest and others are kept as said)
    at: datetime
    conversation: str  # the Rasa sender id: pseudonymised before it is stored
    member: str = ""  # the verified member number, if any: pseudonymised
    disposition: str = "info"
    handed: str = ""
    topic: str = ""
    fallback: bool = False
    question: str = ""  # the member's words when the bot did not understand and they consented

    def values(self) -> dict[str, object]:
        hour = self.at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        return {
            "coop": self.coop,
            "channel": self.channel,
            "hour": hour,
            "conversation_key": pseudonym("conversation:" + self.conversation),
            "member_key": pseudonym("membre:" + self.member) if self.member else "",
            "disposition": self.disposition if self.disposition in DISPOSITIONS else "info",
            "handed": self.handed if self.handed in HANDED else "",
            "topic": self.topic[:80],
            "fallback": self.fallback,
            "question": clean_question(self.question) if self.fallback and self.question else None,
        }


def clean_question(text: str) -> str | None:
    """The question as kept: one lower-case line, personal data and digits masked; None when empty."""
    masked = re.sub(r"\d+", "#", redact(" ".join(text.split())))
    masked = masked.lower()[:MAX_QUESTION].strip()
    return masked or None


def improvement_consented(consent_entry: Mapping[str, str]) -> bool:
    """Whether a member's recorded consent (bot/membership/consent.py `ConsentStore.entry`) covers improvement use."""
    return consent_entry.get(IMPROVEMENT_FIELD) == "oui"


def service_channel(channel: str, sender: str) -> str:
    """The member's channel as the console names it: a phone call, a text (a phone sender), the web chat."""
    if channel == "voice":
        return "voice"
    return "sms" if phone_of_sender(sender) else ("web" if channel == "web" else channel or "autre")


def handed_of(ticket_opened: bool, urgent: bool, topic: str, fallback: bool) -> str:
    if ticket_opened:
        return "relais"
    if urgent:
        return "ressources"
    if topic:
        return "reponse"
    return "incompris" if fallback else ""


@dataclass(frozen=True)
class ServiceRecords:
    engine: Engine

    def record(self, turn: Turn) -> None:
        self.record_many([turn])

    def record_many(self, turns: Sequence[Turn]) -> None:
        if not turns:
            return
        with self.engine.begin() as connection:
            # Statistics, not a promise made to a member: the turn does not wait for the disk
            # (a crash may lose the last fraction of a second of rows, never a member's record).
            connection.execute(sql("SET LOCAL synchronous_commit TO OFF"))
            connection.execute(_INSERT, [t.values() for t in turns])

    def purge_expired(self, now: datetime) -> int:
        """Delete the rows older than RETENTION_DAYS; the count deleted."""
        with self.engine.begin() as connection:
            return int(
                connection.execute(
                    sql("DELETE FROM service_events WHERE hour < :before"),
                    {"before": now - timedelta(days=RETENTION_DAYS)},
                ).rowcount
            )

    def has_any(self) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(sql("SELECT 1 FROM service_events LIMIT 1")).first() is not None
