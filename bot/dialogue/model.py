"""The conversation's state, what comes in with a member's message, and what the bot answers.

The state is one plain dictionary in the Rasa conversation (slot `dialogue`), so a turn is a pure
function of the state, the message and the services it looks things up in (bot/dialogue/engine.py).
A *request* is one need of the member (to see a clinician, to book, to see their bookings...): its
answers (for whom, since when, age) belong to it alone and go when it ends. A *flow* is the
question the bot is waiting an answer to.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.platform.language import FRENCH


class Goal(StrEnum):
    """What a request is for; the value is what the `dialogue` slot stores."""

    HANDOFF = "relais"  # a clinician now
    BOOKING = "rdv"  # a teleconsultation
    MY_BOOKINGS = "mes_rdv"
    SEE_DATA = "donnees_voir"
    ERASE_DATA = "donnees_effacer"


class FlowName(StrEnum):
    """The question the bot waits an answer to; the value is what the `dialogue` slot stores."""

    RED_FLAGS = "alarme"
    CONSENT = "consentement"  # the gate before anything clinical: consent,
    IDENTITY = "identite"  # identity (IdentityStep),
    SUMMARY = "motif"  # then the summary for the clinician (SummaryStep)
    BOOKING = "rdv"  # bot/booking/flow.py (BookingStep)
    MY_BOOKINGS = "mes_rdv"
    WAITING = "attente"  # for the clinician, once the ticket is open


class IdentityStep(StrEnum):
    """The gate's identity questions: by SMS the birth date (and a first name when a family shares the
    phone); on the web the member number, the birth date, then a code sent by SMS."""

    NUMBER = "numero"
    BIRTH_DATE = "naissance"
    FIRST_NAME = "prenom"
    CODE = "code"

    @property
    def prompt(self) -> str:
        """The content key of the step's question (content/texts.yml)."""
        return f"identite.{self.value}"


class SummaryStep(StrEnum):
    """The gate's last questions, for the clinician: for whom, their age (not the member's), since when."""

    FOR_WHOM = "pour_qui"
    AGE = "age"
    SINCE = "depuis"


@dataclass
class Request:
    """One need, from the moment it is expressed until it is met, abandoned or replaced."""

    goal: str  # a Goal value
    need: str = ""  # the disposition behind it: clinicien, consultation, urgence
    reason: dict[str, Any] = field(default_factory=dict)  # the triage record (ids and numbers only)
    complaint: str = ""  # the member's own words, for the clinician
    for_whom: str = ""  # moi, enfant, autre
    age: str = ""
    since: str = ""
    red_flags_asked: bool = False
    bookings: str = ""  # mes_rdv: what the member wants done with their bookings (a BookingRequest value)


@dataclass
class Flow:
    """The question the bot asked and waits an answer to."""

    name: str  # a FlowName value
    step: str = ""  # an IdentityStep, SummaryStep or BookingStep value
    data: dict[str, Any] = field(default_factory=dict)
    off_topic: int = 0  # off-topic answers in a row: at two, the flow lets go
    misses: int = 0  # answers that were not what was asked


@dataclass
class State:
    language: str = FRENCH
    request: Request | None = None
    flow: Flow | None = None
    misunderstood: int = 0  # messages in a row the bot did not understand
    offered: list[str] = field(default_factory=list)  # topics offered as numbered choices
    warned: str = ""  # the emergency level already told in this request

    def to_slot(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_slot(cls, value: Any) -> State:
        if not isinstance(value, dict):
            return cls()
        request = value.get("request")
        flow = value.get("flow")
        try:
            return cls(
                language=str(value.get("language") or FRENCH),
                request=Request(**request) if isinstance(request, dict) else None,
                flow=Flow(**flow) if isinstance(flow, dict) else None,
                misunderstood=int(value.get("misunderstood") or 0),
                offered=[str(t) for t in value.get("offered") or []],
                warned=str(value.get("warned") or ""),
            )
        except TypeError:  # a state written by an older version: start afresh rather than fail
            return cls()

    def end_request(self) -> None:
        self.request = None
        self.flow = None
        self.warned = ""


@dataclass(frozen=True)
class Triage:
    """What the triage policy decided for this message in its conversation (its slots)."""

    disposition: str = "info"  # for the whole request
    message: str = "info"  # what this message alone called for
    source: str = "defaut"
    findings: tuple[str, ...] = ()  # those that set the request's disposition
    said: tuple[str, ...] = ()  # the findings of this message alone
    modifiers: tuple[str, ...] = ()
    ask_red_flags: bool = False
    record: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: Any) -> Triage:
        if not isinstance(record, dict):
            return cls()
        return cls(
            disposition=str(record.get("disposition") or "info"),
            message=str(record.get("message") or record.get("disposition") or "info"),
            source=str(record.get("source") or "defaut"),
            findings=tuple(str(f) for f in record.get("constats") or ()),
            said=tuple(str(f) for f in record.get("constats_message") or ()),
            modifiers=tuple(str(m) for m in record.get("modificateurs") or ()),
            ask_red_flags=bool(record.get("question_alarme")),
            record=dict(record),
        )


@dataclass(frozen=True)
class Inbound:
    """One member message and its circumstances."""

    text: str
    sender: str  # the Rasa sender id: a phone (SMS), a web session id, or any id (REST)
    channel: str  # sms, web, rest, voice
    coop: str
    now: datetime
    triage: Triage = field(default_factory=Triage)
    intent: str = ""
    intent_confidence: float = 0.0
    member: str = ""  # the verified member number, if any
    handoff: str = ""  # the open handoff ticket (slot `relais`), if any
    previous_reason: dict[str, Any] | None = None  # the triage record of the message before ("pourquoi?")


@dataclass(frozen=True)
class Reply:
    text: str
    choices: tuple[tuple[str, str], ...] = ()  # (title, payload): buttons on the web, numbers by SMS
    urgent: str = ""  # the emergency level of an emergency answer: sent even to an SMS opt-out


@dataclass
class Outcome:
    replies: list[Reply]
    state: State
    member: str | None = None  # a member verified in this turn
    handoff: str | None = None  # a ticket opened in this turn ("" when the handoff ended)
    end_episode: bool = False  # the triage episode ends with the request
    erase: bool = False  # the member asked to erase their data: forget the conversation
    raised_to: str | None = None  # the member's answer raised the disposition ("oui" to a red flag)
    topic: str = ""  # the topic the bot answered by itself in this turn (the service record's)
    fallback: bool = False  # the bot did not understand this message
