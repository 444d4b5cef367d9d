"""Booking a teleconsultation in the conversation: the Rasa side of bot/booking_flow.py.

The flow's state lives in the slot `rdv_flux`; while it is set, the triage policy sends the
member's messages here (an emergency still goes to the triage reply first, which ends the flow).
"Mes rendez-vous", "annuler mon rendez-vous" and "ANNULER" after a reminder come here too.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.gate import channel_of
from actions.resources import booking_desk, content, coop_id, redis_client, registry, reminder_marks
from bot.availability import QUEBEC
from bot.booking_flow import Desk, FlowState, Member, Reply, listing, manage, start, step, wants
from bot.ics import link_key
from bot.text import normalise

IDENTITY_SLOTS = ("numero_membre", "date_naissance", "code_verification")


def member_of(tracker: Tracker) -> Member | None:
    number = str(tracker.get_slot("membre") or "")
    found = registry().get(number) if number else None
    if found is None:
        return None
    coop = content().coop(found.coop if found.coop in content().coops else coop_id(tracker))
    return Member(
        number=found.number,
        name=f"{found.first_name} {found.last_name}",
        coop=coop.id,
        coop_phone=coop.phone,
        conversation=tracker.sender_id,
        channel=channel_of(tracker),
    )


def say(dispatcher: CollectingDispatcher, replies: list[Reply]) -> None:
    for reply in replies:
        buttons = [{"title": title, "payload": payload} for title, payload in reply.buttons]
        dispatcher.utter_message(text=reply.text, buttons=buttons or None)


def start_booking(dispatcher: CollectingDispatcher, need: str) -> list[EventType]:
    replies, state = start(need)
    say(dispatcher, replies)
    return [SlotSet("rdv_flux", state.to_slot())]


def perform_booking_request(request: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """After the identity check: list, cancel or move the verified member's bookings."""
    member = member_of(tracker)
    if member is None:
        return []
    desk = booking_desk(datetime.now(QUEBEC))
    text = str(tracker.latest_message.get("text") or "")
    replies, state = listing(member, desk) if request == "lister" else manage(f"{request} {text}", member, desk)
    say(dispatcher, replies)
    return [SlotSet("rdv_flux", state.to_slot() if state else None)]


class ActionRdv(Action):
    def name(self) -> str:
        return "action_rdv"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = str(tracker.latest_message.get("text") or "")
        state = FlowState.from_slot(tracker.get_slot("rdv_flux"))
        member = member_of(tracker)
        now = datetime.now(QUEBEC)
        if state is None and normalise(text) in ("annuler", "annule") and member is None:
            member = _member_from_reminder(tracker)
        if member is None:  # bookings are personal: identify first, then carry on
            dispatcher.utter_message(response="utter_verifier_avant_rdv")
            return [
                SlotSet("demande_donnees", f"rdv_{wants(text) or 'lister'}"),
                SlotSet("etape_porte", "identite"),
                *(SlotSet(s, None) for s in IDENTITY_SLOTS),
            ]
        summary = _summary(tracker)
        desk = booking_desk(now, summary)
        if state is not None:
            replies, next_state = step(state, text, member, desk)
        elif normalise(text) in ("annuler", "annule"):
            reminded = reminder_marks().booking_for(tracker.sender_id)
            replies, next_state = manage("annuler", member, desk, [reminded] if reminded else [])
        else:
            request = wants(text) or "lister"
            replies, next_state = listing(member, desk) if request == "lister" else manage(text, member, desk)
        say(dispatcher, replies)
        if member.channel == "web" and next_state is None:
            _calendar_link(dispatcher, member, desk)
        # etape_porte "fin": the gate has nothing to run after this action (the policy reads it).
        return [SlotSet("rdv_flux", next_state.to_slot() if next_state else None), SlotSet("etape_porte", "fin")]


def _calendar_link(dispatcher: CollectingDispatcher, member: Member, desk: Desk) -> None:
    """After a booking on the web: a link to add it to one's calendar."""
    upcoming = desk.store.upcoming_for_member(member.number, desk.now)
    newest = max(upcoming, key=lambda b: b.created, default=None)
    if newest is None or time.time() - newest.created > 60:
        return
    base = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
    key = link_key(redis_client(), newest.id)
    dispatcher.utter_message(
        text=f"Pour l'ajouter à votre calendrier: {base}/webhooks/web/rdv/{newest.id}.ics?cle={key}"
    )


def _member_from_reminder(tracker: Tracker) -> Member | None:
    """ "ANNULER" in answer to a reminder: the booking says whose it is (the reminder went to this conversation)."""
    booking_id = reminder_marks().booking_for(tracker.sender_id)
    booking = booking_desk(datetime.now(QUEBEC)).store.get(booking_id) if booking_id else None
    if booking is None or booking.conversation != tracker.sender_id:
        return None
    coop = content().coop(booking.coop)
    return Member(booking.member_number, booking.member_name, coop.id, coop.phone, tracker.sender_id, booking.channel)


def _summary(tracker: Tracker) -> dict[str, str]:
    return {
        "besoin": str(tracker.get_slot("besoin") or ""),
        "pour_qui": str(tracker.get_slot("pour_qui") or ""),
        "depuis_quand": str(tracker.get_slot("depuis_quand") or ""),
    }
