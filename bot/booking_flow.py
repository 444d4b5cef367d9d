"""The booking conversation, in plain Python: modality, when, three slots, confirmation; and managing.

`step()` takes the flow's state (kept in the Rasa conversation by actions/booking.py), the member's
message and what it needs to look things up, and returns what to say and the next state (None
when the flow is over). Nothing here knows Rasa.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.availability import Availability, BookingRules, Slot
from bot.bookings import Booking, BookingStore
from bot.french_time import french_datetime, parse_window
from bot.text import normalise

OFFERED = 3
SEARCH_DAYS = 30
ASAP_DAYS = 14
NOTICE = timedelta(hours=1)  # the earliest slot offered is at least this far ahead
MORE = "autres plages"
MODALITY_WORDS = {
    "video": {"1", "video", "videos", "camera", "zoom", "teams", "visio"},
    "telephone": {"2", "telephone", "tel", "phone", "appel", "appeler", "telephoner"},
    "clavardage": {"3", "clavardage", "chat", "texto", "textos", "message", "messages", "ecrit", "clavarder"},
}
ASK_WHEN = (
    "Quand vous conviendrait? Par exemple: demain matin, mardi après 14 h, le 3 décembre, "
    "ou n'importe quand cette semaine."
)


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload)


@dataclass(frozen=True)
class Member:
    number: str
    name: str
    coop: str
    coop_phone: str
    conversation: str
    channel: str


@dataclass
class FlowState:
    step: str  # modalite, quand, choix, gestion
    need: str = "consultation"
    modality: str = ""
    offered: list[str] = field(default_factory=list)  # slot ids (choix) or booking ids (gestion)
    search_from: str = ""  # where "autres plages" continues (ISO instant)
    misses: int = 0
    moving: str = ""  # the booking being moved (reschedule)

    def to_slot(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_slot(cls, value: Any) -> FlowState | None:
        return cls(**value) if isinstance(value, dict) and value.get("step") else None


@dataclass(frozen=True)
class Desk:
    """What the flow looks up and writes: rules, availability, bookings, the clock."""

    rules: BookingRules
    availability: Availability
    store: BookingStore
    now: datetime
    summary: dict[str, str] = field(default_factory=dict)


def start(need: str) -> tuple[list[Reply], FlowState]:
    buttons = (("Vidéo", "video"), ("Téléphone", "telephone"), ("Clavardage", "clavardage"))
    return [Reply("Prenons rendez-vous. Comment préférez-vous consulter?", buttons)], FlowState("modalite", need)


def step(state: FlowState, text: str, member: Member, desk: Desk) -> tuple[list[Reply], FlowState | None]:
    words = set(normalise(text).split())
    if state.step != "gestion" and normalise(text) in ("annuler", "annule", "laisse faire", "non merci", "stop"):
        return [Reply("D'accord, pas de rendez-vous pour l'instant. Écrivez « rendez-vous » quand vous voulez.")], None
    if state.step == "modalite":
        modality = next((m for m, known in MODALITY_WORDS.items() if words & known), "")
        if not modality:
            return _missed(state, start(state.need)[0], member)
        return [Reply(ASK_WHEN)], replace(state, step="quand", modality=modality, misses=0)
    if state.step == "quand":
        window = parse_window(text, desk.now)
        if window is None and state.misses < 1:
            return [Reply("Je n'ai pas compris le moment. " + ASK_WHEN)], replace(state, misses=state.misses + 1)
        start_at = max(window.start if window else desk.now, desk.now + NOTICE)
        end_at = window.end if window else desk.now + timedelta(days=ASAP_DAYS)
        return _offer(state, member, desk, start_at, end_at)
    if state.step == "choix":
        return _choose(state, text, member, desk)
    if state.step == "gestion":
        return manage(text, member, desk, state.offered)
    return [], None


def _missed(state: FlowState, again: list[Reply], member: Member) -> tuple[list[Reply], FlowState | None]:
    if state.misses >= 1:
        return [Reply(f"Je n'ai pas compris. Pour prendre rendez-vous, appelez la coop au {member.coop_phone}.")], None
    return again, replace(state, misses=state.misses + 1)


def _free(desk: Desk, member: Member, state: FlowState, start_at: datetime, end_at: datetime) -> list[Slot]:
    types = desk.rules.types_by_need.get(state.need, desk.rules.types_by_need["consultation"])
    slots = desk.availability.slots(start_at, end_at, desk.rules, types, member.coop, state.modality)
    return [s for s in slots if not desk.store.taken(s.id)]


def _offer(
    state: FlowState, member: Member, desk: Desk, start_at: datetime, end_at: datetime, prefix: str = ""
) -> tuple[list[Reply], FlowState | None]:
    free = _free(desk, member, state, start_at, end_at)[:OFFERED]
    if not free:  # nothing then: the first free slots after
        free = _free(desk, member, state, start_at, start_at + timedelta(days=SEARCH_DAYS))[:OFFERED]
        prefix += "Rien de libre à ce moment-là. "
    if not free:
        text = f"Aucune plage libre dans les {SEARCH_DAYS} prochains jours. Appelez la coop au {member.coop_phone}."
        return [Reply(text)], None
    buttons = tuple((_slot_title(s, desk.rules), f"plage {i}") for i, s in enumerate(free, start=1))
    buttons += (("Autres plages", MORE),)
    text = prefix + "Voici les prochaines plages libres. Laquelle choisissez-vous?"
    after = (free[-1].start + timedelta(minutes=1)).isoformat()
    return [Reply(text, buttons)], replace(
        state, step="choix", offered=[s.id for s in free], search_from=after, misses=0
    )


def _slot_title(slot: Slot, rules: BookingRules) -> str:
    return f"{french_datetime(slot.start)}, {rules.labels[slot.clinician_type]}"


def _choose(state: FlowState, text: str, member: Member, desk: Desk) -> tuple[list[Reply], FlowState | None]:
    said = normalise(text)
    if "autre" in said.split() or said == MORE:
        start_at = datetime.fromisoformat(state.search_from)
        return _offer(state, member, desk, start_at, start_at + timedelta(days=SEARCH_DAYS))
    match = re.fullmatch(r"(?:plage\s*)?(\d)", said)
    index = int(match.group(1)) - 1 if match else -1
    if not 0 <= index < len(state.offered):
        return _missed(state, [Reply("Répondez par le numéro de la plage, ou « autres plages ».")], member)
    slot = _find_slot(state, state.offered[index], member, desk)
    if slot is None:
        now = desk.now + NOTICE
        return _offer(state, member, desk, now, now + timedelta(days=ASAP_DAYS), "Cette plage vient d'être prise. ")
    booking = desk.store.book(
        slot,
        member_number=member.number,
        member_name=member.name,
        conversation=member.conversation,
        channel=member.channel,
        need=state.need,
        summary=desk.summary,
        modality=state.modality,
    )
    if booking is None:
        now = desk.now + NOTICE
        return _offer(state, member, desk, now, now + timedelta(days=ASAP_DAYS), "Cette plage vient d'être prise. ")
    replies = [Reply(confirmation(booking, desk.rules))]
    if state.moving:
        old = desk.store.get(state.moving)
        if old and desk.store.cancel(old):
            replies.append(Reply(f"L'ancien rendez-vous du {french_datetime(old.start)} est annulé."))
    return replies, None


def _find_slot(state: FlowState, slot_id: str, member: Member, desk: Desk) -> Slot | None:
    _, _, stamp = slot_id.partition("|")
    start_at = datetime.strptime(stamp, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    for slot in _free(desk, member, state, start_at - timedelta(minutes=1), start_at + timedelta(minutes=1)):
        if slot.id == slot_id:
            return slot
    return None


def confirmation(booking: Booking, rules: BookingRules) -> str:
    return (
        f"C'est réservé: {french_datetime(booking.start)}, en {rules.modality_labels[booking.modality]} "
        f"avec {rules.labels[booking.clinician_type]}. {rules.join[booking.modality]} "
        "Rappels la veille et 1 h avant. Pour annuler ou changer: écrivez « mes rendez-vous »."
    )


def describe(booking: Booking, rules: BookingRules) -> str:
    return (
        f"{french_datetime(booking.start)}, {rules.modality_labels[booking.modality]}, "
        f"{rules.labels[booking.clinician_type]}"
    )


# --- Managing -----------------------------------------------------------------------------------

_LIST = re.compile(r"\b(mes|mon|un|des|prochain)\s+(rendez vous|rdv|rendezvous|rendez-vous)\b")
_CANCEL = re.compile(r"\b(annul\w*)\b")
_MOVE = re.compile(r"\b(chang\w*|deplac\w*|report\w*|modifi\w*)\b")
_APPOINTMENT = re.compile(r"\b(rendez vous|rendezvous|rdv)\b")


def wants(text: str) -> str | None:
    """'lister', 'annuler' or 'changer' when a message is about the member's own bookings."""
    said = normalise(text).replace("-", " ")
    if _APPOINTMENT.search(said):
        if _CANCEL.search(said):
            return "annuler"
        if _MOVE.search(said):
            return "changer"
        if _LIST.search(said) and not re.search(r"\b(prendre|veux|voudrais|besoin)\b", said):
            return "lister"
    return None


def listing(member: Member, desk: Desk) -> tuple[list[Reply], FlowState | None]:
    bookings = desk.store.upcoming_for_member(member.number, desk.now)
    if not bookings:
        return [Reply("Vous n'avez aucun rendez-vous à venir.")], None
    lines = [f"{i}. {describe(b, desk.rules)}" for i, b in enumerate(bookings, start=1)]
    buttons: list[tuple[str, str]] = []
    for i in range(1, len(bookings) + 1):
        suffix = f" {i}" if len(bookings) > 1 else ""
        buttons += [(f"Annuler{suffix}", f"annuler {i}"), (f"Changer{suffix}", f"changer {i}")]
    text = "Vos rendez-vous:\n" + "\n".join(lines)
    return [Reply(text, tuple(buttons))], FlowState("gestion", offered=[b.id for b in bookings])


def manage(text: str, member: Member, desk: Desk, offered: Sequence[str] = ()) -> tuple[list[Reply], FlowState | None]:
    """Cancel or move one of the member's bookings ("annuler 1", "changer"), within the coop's deadline."""
    said = normalise(text)
    bookings = [b for b in (desk.store.get(i) for i in offered) if b and b.status == "confirme"]
    if not bookings:
        bookings = desk.store.upcoming_for_member(member.number, desk.now)
    if not bookings:
        return [Reply("Vous n'avez aucun rendez-vous à venir.")], None
    number = re.search(r"\b(\d)\b", said)
    index = int(number.group(1)) - 1 if number else 0
    if not 0 <= index < len(bookings):
        return listing(member, desk)
    booking = bookings[index]
    action = "changer" if _MOVE.search(said) else "annuler" if _CANCEL.search(said) else ""
    if not action:
        return listing(member, desk)
    if booking.start - desk.now < desk.rules.cancel_deadline(booking.coop):
        hours = int(desk.rules.cancel_deadline(booking.coop).total_seconds() // 3600)
        text = f"Il est trop tard pour le faire par message (moins de {hours} h avant). "
        text += f"Appelez la coop au {member.coop_phone}."
        return [Reply(text)], None
    if action == "annuler":
        desk.store.cancel(booking)
        return [Reply(f"C'est annulé: {describe(booking, desk.rules)}.")], None
    state = FlowState("quand", booking.need, booking.modality, moving=booking.id)
    return [Reply(f"Changeons le rendez-vous du {french_datetime(booking.start)}. " + ASK_WHEN)], state
