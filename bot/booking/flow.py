"""The booking conversation, in plain Python: modality, when, three slots, confirmation; and managing.

`step()` takes the flow's state (kept in the conversation by bot/dialogue), the member's message and
what it needs to look things up, and returns what to say, the next state (None when the flow is over)
and whether the message was an answer to the flow's question at all. A message that is not lets
the conversation handle it as a digression. Nothing here knows Rasa; every sentence comes from
content/texts.yml, in the member's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.booking.availability import Availability, BookingRules, Slot
from bot.booking.french_time import from_english, parse_window, spoken_datetime
from bot.booking.store import Booking, BookingStatus, BookingStore
from bot.dialogue.model import Reply
from bot.platform.text import normalise

OFFERED = 3
SEARCH_DAYS = 30
ASAP_DAYS = 14
NOTICE = timedelta(hours=1)  # the earliest slot offered is at least this far ahead
MORE = "autres plages"
MODALITY_WORDS = {
    "video": {"video", "videos", "camera", "zoom", "teams", "visio", "facetime"},
    "telephone": {"telephone", "tel", "phone", "appel", "appeler", "telephoner", "call"},
    "clavardage": {"clavardage", "chat", "texto", "textos", "message", "messages", "ecrit", "clavarder", "text"},
}
MODALITIES = ("video", "telephone", "clavardage")

Say = Callable[..., str]  # content.say bound to the member's language and coop: say(key, **values)


@dataclass(frozen=True)
class Member:
    number: str
    name: str
    coop: str
    coop_phone: str
    conversation: str
    channel: str


class BookingStep(StrEnum):
    """Where a booking flow is; the value is what the `dialogue` slot stores."""

    MODALITY = "modalite"  # video, phone or chat?
    WHEN = "quand"  # which day or time?
    CHOICE = "choix"  # which of the offered slots?
    LIST = "liste"  # the member's bookings, listed
    ACTION = "action"  # one booking: cancel or move it?


class BookingRequest(StrEnum):
    """What a member wants done with their own bookings; the value is stored in the `dialogue` slot."""

    LIST = "lister"
    CANCEL = "annuler"
    MOVE = "changer"


@dataclass
class FlowState:
    step: str  # a BookingStep value
    need: str = "consultation"  # the disposition behind a new booking: consultation or clinicien
    modality: str = ""
    offered: list[str] = field(default_factory=list)  # slot ids (choix) or booking ids (liste, action)
    titles: list[str] = field(default_factory=list)  # how the offered slots were named to the member
    search_from: str = ""  # where "autres plages" continues (ISO instant)
    window: list[str] = field(default_factory=list)  # the time asked for ([start, end] ISO): kept after a lost slot
    misses: int = 0
    moving: str = ""  # the booking being moved (reschedule)
    summary: dict[str, str] = field(default_factory=dict)  # a moved booking keeps what the clinician reads
    wanted: str = ""  # liste: the BookingRequest the list answers (cancel or move the one picked)

    def to_slot(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_slot(cls, value: Any) -> FlowState | None:
        if not isinstance(value, dict) or not value.get("step"):
            return None
        try:
            return cls(**value)
        except TypeError:
            return None


@dataclass(frozen=True)
class Desk:
    """What the flow looks up and writes: rules, availability, bookings, the clock, the words."""

    rules: BookingRules
    availability: Availability
    store: BookingStore
    now: datetime
    say: Say
    language: str = "fr"
    summary: dict[str, str] = field(default_factory=dict)

    def when(self, moment: datetime) -> str:
        return spoken_datetime(moment, self.language)


@dataclass(frozen=True)
class Step:
    replies: list[Reply]
    state: FlowState | None
    answered: bool = True  # False: the message was not an answer to the flow's question


def start(need: str, desk: Desk) -> Step:
    return Step([_ask_modality(desk)], FlowState(BookingStep.MODALITY, need))


def _ask_modality(desk: Desk, prefix: str = "") -> Reply:
    choices = tuple((desk.say(f"rdv.modalite_{m}"), m) for m in MODALITIES)
    return Reply(prefix + desk.say("rdv.demande_modalite"), choices)


def _ask_when(desk: Desk, prefix: str = "") -> Reply:
    return Reply(prefix + desk.say("rdv.demande_quand"))


def step(state: FlowState, text: str, member: Member, desk: Desk) -> Step:
    """The member's answer to the flow's current question."""
    said = normalise(text)
    if state.step == BookingStep.MODALITY:
        words = set(said.split()) | {said}
        number = _number(said)
        modality = MODALITIES[number - 1] if number and 1 <= number <= len(MODALITIES) else ""
        modality = modality or next((m for m, known in MODALITY_WORDS.items() if words & known), "")
        if not modality:
            return Step([], state, answered=False)
        return Step([_ask_when(desk)], replace(state, step=BookingStep.WHEN, modality=modality, misses=0))
    if state.step == BookingStep.WHEN:
        window = parse_window(from_english(text) if desk.language == "en" else text, desk.now)
        if window is None:
            return Step([], state, answered=False)
        start_at = max(window.start, desk.now + NOTICE)
        end_at = max(window.end, start_at + timedelta(hours=1))
        state = replace(state, window=[start_at.isoformat(), end_at.isoformat()])
        return _offer(state, member, desk, start_at, end_at)
    if state.step == BookingStep.CHOICE:
        return _choose(state, said, member, desk)
    if state.step in (BookingStep.LIST, BookingStep.ACTION):
        return manage_step(state, said, member, desk)
    return Step([], None)


def reask(state: FlowState, desk: Desk) -> Reply:
    """The flow's current question again, after a digression."""
    if state.step == BookingStep.MODALITY:
        return _ask_modality(desk)
    if state.step == BookingStep.WHEN:
        return _ask_when(desk)
    if state.step == BookingStep.CHOICE:
        return Reply(desk.say("rdv.reprendre_choix"), (*_slot_choices(state), (desk.say("rdv.autres"), MORE)))
    if state.step == BookingStep.LIST:
        return Reply(desk.say("rdv.vos_rdv"), _slot_choices(state, "rdv"))
    return Reply(desk.say("rdv.reprendre_liste"), _action_choices(desk))


def _free(desk: Desk, member: Member, state: FlowState, start_at: datetime, end_at: datetime) -> list[Slot]:
    types = desk.rules.types_by_need.get(state.need, desk.rules.types_by_need["consultation"])
    slots = desk.availability.slots(start_at, end_at, desk.rules, types, member.coop, state.modality)
    return [s for s in slots if not desk.store.taken(s.id)]


def _offer(
    state: FlowState, member: Member, desk: Desk, start_at: datetime, end_at: datetime, prefix: str = ""
) -> Step:
    free = _free(desk, member, state, start_at, end_at)[:OFFERED]
    if not free:  # nothing then: the first free slots after
        free = _free(desk, member, state, start_at, start_at + timedelta(days=SEARCH_DAYS))[:OFFERED]
        prefix += desk.say("rdv.rien_a_ce_moment") + " "
    if not free:
        return Step([Reply(desk.say("rdv.aucune_plage", jours=SEARCH_DAYS))], None)
    after = (free[-1].start + timedelta(minutes=1)).isoformat()
    titles = [f"{desk.when(s.start)}, {_clinician_label(desk, s.clinician_type)}" for s in free]
    state = replace(
        state, step=BookingStep.CHOICE, offered=[s.id for s in free], titles=titles, search_from=after, misses=0
    )
    choices = (*_slot_choices(state), (desk.say("rdv.autres"), MORE))
    return Step([Reply(prefix + desk.say("rdv.plages"), choices)], state)


def _slot_choices(state: FlowState, kind: str = "plage") -> tuple[tuple[str, str], ...]:
    return tuple((title, f"{kind} {n}") for n, title in enumerate(state.titles, start=1))


def _clinician_label(desk: Desk, kind: str) -> str:
    return desk.say(f"rdv.type_{kind}") if kind in desk.rules.labels else kind


def _slot_start(slot_id: str) -> datetime:
    _, _, stamp = slot_id.rpartition("|")
    return datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def _number(said: str) -> int | None:
    match = re.fullmatch(r"(?:plage|choix|option|slot|number|numero|no|#)?\s*(\d{1,2})", said.strip())
    return int(match.group(1)) if match else None


def _choose(state: FlowState, said: str, member: Member, desk: Desk) -> Step:
    if said == MORE or {"autre", "autres", "other", "others", "more"} & set(said.split()) or said == "plus":
        start_at = datetime.fromisoformat(state.search_from)
        return _offer(state, member, desk, start_at, start_at + timedelta(days=SEARCH_DAYS))
    number = _number(said)
    if number == len(state.offered) + 1:  # the number of "Autres plages"
        start_at = datetime.fromisoformat(state.search_from)
        return _offer(state, member, desk, start_at, start_at + timedelta(days=SEARCH_DAYS))
    if number is None or not 1 <= number <= len(state.offered):
        window = parse_window(from_english(said) if desk.language == "en" else said, desk.now)
        if window is not None:  # another time: offer that instead
            return step(replace(state, step=BookingStep.WHEN), said, member, desk)
        return Step([], state, answered=False)
    slot = _find_slot(state, state.offered[number - 1], member, desk)
    booking = None
    if slot is not None:
        booking = desk.store.book(
            slot,
            member_number=member.number,
            member_name=member.name,
            conversation=member.conversation,
            channel=member.channel,
            need=state.need,
            summary=state.summary or desk.summary,
            modality=state.modality,
        )
    if booking is None:  # taken meanwhile: the nearest free slots in the time asked, then after
        start_at, end_at = _asked(state, desk)
        return _offer(state, member, desk, start_at, end_at, desk.say("rdv.plage_prise") + " ")
    replies = [Reply(confirmation(booking, desk))]
    if state.moving:
        old = desk.store.get(state.moving)
        if old and desk.store.cancel(old, moved_to=booking.id):
            replies.append(Reply(desk.say("rdv.ancien_annule", date=desk.when(old.start))))
    return Step(replies, None)


def _asked(state: FlowState, desk: Desk) -> tuple[datetime, datetime]:
    """The time the member asked for, still ahead; else from now."""
    earliest = desk.now + NOTICE
    if len(state.window) == 2:
        start_at, end_at = (datetime.fromisoformat(w) for w in state.window)
        if end_at > earliest:
            return max(start_at, earliest), end_at
    return earliest, earliest + timedelta(days=ASAP_DAYS)


def _find_slot(state: FlowState, slot_id: str, member: Member, desk: Desk) -> Slot | None:
    start_at = _slot_start(slot_id)
    for slot in _free(desk, member, state, start_at - timedelta(minutes=1), start_at + timedelta(minutes=1)):
        if slot.id == slot_id:
            return slot
    return None


def confirmation(booking: Booking, desk: Desk) -> str:
    return desk.say(
        "rdv.confirme",
        date=desk.when(booking.start),
        modalite=desk.say(f"rdv.modalite_{booking.modality}").lower(),
        clinicien=_clinician_label(desk, booking.clinician_type),
        rejoindre=desk.say(f"rdv.rejoindre_{booking.modality}"),
    )


def language_of(summary: dict[str, str]) -> str:
    """The member's language, as noted on a ticket or a booking ("langue")."""
    return "en" if summary.get("langue") in ("en", "anglais") else "fr"


def booking_message(content: Any, key: str, booking: Booking, language: str) -> str:
    """A text about one booking (reminders, a clinician's booking), from outside a conversation."""

    def say(name: str, **values: Any) -> str:
        return str(content.say(name, language, booking.coop, **values))

    return say(
        key,
        date=spoken_datetime(booking.start, language),
        modalite=say(f"rdv.modalite_{booking.modality}").lower(),
        clinicien=say(f"rdv.type_{booking.clinician_type}"),
        rejoindre=say(f"rdv.rejoindre_{booking.modality}"),
    )


def describe(booking: Booking, desk: Desk) -> str:
    return (
        f"{desk.when(booking.start)}, {desk.say(f'rdv.modalite_{booking.modality}').lower()}, "
        f"{_clinician_label(desk, booking.clinician_type)}"
    )


# --- Managing -----------------------------------------------------------------------------------

_LIST = re.compile(
    r"\b((mes|mon|un|des|prochains?|prochaine|my|next|upcoming) (rendez vous|rdv|rendezvous|appointments?|appt)|"
    r"(quand|when) (est|is) (mon|ma|my) (rendez vous|rdv|appointment))\b"
)
_CANCEL = re.compile(r"\b(annul\w*|cancel\w*)\b")
_MOVE = re.compile(r"\b(chang\w*|deplac\w*|report\w*|modifi\w*|reschedul\w*|move)\b")
_APPOINTMENT = re.compile(r"\b(rendez vous|rendezvous|rdv|appointments?|appt|booking)\b")
_NEW = re.compile(r"\b(prendre|veux|voudrais|besoin|aimerais|book|need|want|would like|schedule|make)\b")


_SHOW = re.compile(r"\b(voir|see|show|liste|list|quand|when|c est quand|what time|a quelle heure|confirme\w*)\b")


def wants(text: str) -> BookingRequest | None:
    """What a message asks about the member's own bookings, if it is about them."""
    said = normalise(text)
    if not _APPOINTMENT.search(said):
        return None
    mine = bool(_LIST.search(said)) or bool(re.search(r"\b(mon|ma|mes|my|le|the)\b", said))
    if _CANCEL.search(said) and mine:
        return BookingRequest.CANCEL
    if _MOVE.search(said) and mine:
        return BookingRequest.MOVE
    if _LIST.search(said) and (not _NEW.search(said) or _SHOW.search(said)):
        return BookingRequest.LIST
    return None


def wants_new(text: str) -> bool:
    """A request for a new appointment ("je veux un rendez-vous", "book an appointment")."""
    said = normalise(text)
    return bool(_APPOINTMENT.search(said) and _NEW.search(said)) and wants(text) is None


def listing(member: Member, desk: Desk, request: str = BookingRequest.LIST) -> Step:
    """The member's upcoming bookings, each one a choice; then what to do with the one chosen."""
    bookings = desk.store.upcoming_for_member(member.number, desk.now)
    if not bookings:
        return Step([Reply(desk.say("rdv.aucun_a_venir"))], None)
    if len(bookings) == 1 and request in (BookingRequest.CANCEL, BookingRequest.MOVE):
        return _act(request, bookings[0], member, desk)
    if len(bookings) == 1:
        state = FlowState(BookingStep.ACTION, offered=[bookings[0].id])
        return Step([_ask_action(desk, bookings[0], desk.say("rdv.votre_rdv", rdv=describe(bookings[0], desk)))], state)
    titles = [describe(b, desk) for b in bookings]
    keys: dict[str, str] = {BookingRequest.CANCEL: "rdv.lequel_annuler", BookingRequest.MOVE: "rdv.lequel_changer"}
    key = keys.get(request, "rdv.vos_rdv")
    state = FlowState(BookingStep.LIST, offered=[b.id for b in bookings], titles=titles, wanted=request)
    return Step([Reply(desk.say(key), _slot_choices(state, "rdv"))], state)


def _action_choices(desk: Desk) -> tuple[tuple[str, str], ...]:
    return (
        (desk.say("rdv.annuler"), "annuler"),
        (desk.say("rdv.changer"), "changer"),
        (desk.say("rdv.garder"), "garder"),
    )


def _ask_action(desk: Desk, booking: Booking, text: str) -> Reply:
    return Reply(text + " " + desk.say("rdv.que_faire"), _action_choices(desk))


def manage_step(state: FlowState, said: str, member: Member, desk: Desk) -> Step:
    bookings = [b for b in (desk.store.get(i) for i in state.offered) if b and b.status == BookingStatus.CONFIRMED]
    if not bookings:
        return Step([Reply(desk.say("rdv.aucun_a_venir"))], None)
    number = _number(said)
    action = "changer" if _MOVE.search(said) else "annuler" if _CANCEL.search(said) else ""
    if said in ("garder", "le garder", "keep", "garde le", "keep it", "garde", "on le garde") or (
        state.step == BookingStep.ACTION and number == 3
    ):
        return Step([Reply(desk.say("rdv.garde"))], None)
    if state.step == BookingStep.ACTION:
        booking = bookings[0]
        action = action or {1: "annuler", 2: "changer"}.get(number or 0, "")
        if not action:
            return Step([], state, answered=False)
        return _act(action, booking, member, desk)
    # liste: a number picks a booking; "annuler 2" and "changer 1" act at once
    digits = re.search(r"\b(\d)\b", said)
    index = int(digits.group(1)) - 1 if digits else -1
    if not 0 <= index < len(bookings):
        return Step([], state, answered=False)
    booking = bookings[index]
    wanted = state.wanted or state.need  # a list stored before `wanted` kept the request in `need`
    action = action or (wanted if wanted in (BookingRequest.CANCEL, BookingRequest.MOVE) else "")
    if action:
        return _act(action, booking, member, desk)
    next_state = FlowState(BookingStep.ACTION, offered=[booking.id])
    return Step([_ask_action(desk, booking, desk.say("rdv.votre_rdv", rdv=describe(booking, desk)))], next_state)


def _act(action: str, booking: Booking, member: Member, desk: Desk) -> Step:
    if booking.start - desk.now < desk.rules.cancel_deadline(booking.coop):
        hours = int(desk.rules.cancel_deadline(booking.coop).total_seconds() // 3600)
        return Step([Reply(desk.say("rdv.trop_tard", delai=hours))], None)
    if action == "annuler":
        desk.store.cancel(booking)
        return Step([Reply(desk.say("rdv.annule", rdv=describe(booking, desk)))], None)
    state = FlowState(
        BookingStep.WHEN, booking.need, booking.modality, moving=booking.id, summary=dict(booking.summary)
    )
    return Step([_ask_when(desk, desk.say("rdv.changeons", date=desk.when(booking.start)) + " ")], state)


def cancel_reminded(booking: Booking, desk: Desk) -> Step:
    """ANNULER in answer to a reminder: that booking, within the coop's deadline."""
    return _act("annuler", booking, Member(booking.member_number, booking.member_name, booking.coop, "", "", ""), desk)
