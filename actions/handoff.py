"""Handing a verified member to a clinician, and what the bot does while a clinician has them.

`action_motif_recu` ends the summary form: for a clinician need it opens a ticket (bot/handoff.py)
and sets the slot `relais`; from then on the triage policy sends every member message to
`action_relais_message`, which passes it to the ticket's thread and stays silent, except for an
emergency (the resource goes out at once and the ticket is flagged) and for "ANNULER". The console
closes the handoff by clearing `relais`: the bot resumes and never answers what was said meanwhile.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.booking import start_booking
from actions.gate import channel_of
from actions.resources import content, coop_id, handoff_desk, registry
from bot.handoff import Ticket, new_ticket_id
from bot.text import normalise

HANDOFF_DISPOSITIONS = {"clinicien", "urgence", "911", "crise"}
EMERGENCIES = {"911", "crise", "urgence"}
CANCEL_WORDS = {"annuler", "annule", "annulez", "cancel"}


class ActionMotifRecu(Action):
    def name(self) -> str:
        return "action_motif_recu"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        disposition = str(tracker.get_slot("besoin") or "")
        member_number = tracker.get_slot("membre")
        if disposition not in HANDOFF_DISPOSITIONS or not member_number:
            dispatcher.utter_message(response="utter_motif_recu")
            return start_booking(dispatcher, "consultation")  # not today: a teleconsultation
        desk = handoff_desk()
        ticket = desk.open(
            Ticket(
                id=new_ticket_id(),
                conversation=tracker.sender_id,
                channel=channel_of(tracker),
                coop=content().coop(coop_id(tracker)).id,
                disposition=disposition,
                reasons=_reasons(tracker),
                summary=_summary(tracker, str(member_number)),
                member_number=str(member_number),
                member_name=_member_name(str(member_number)),
            )
        )
        coop_phone = content().coop(coop_id(tracker)).phone
        if desk.on_duty():
            dispatcher.utter_message(response="utter_relais_ouvert")
        else:
            dispatcher.utter_message(response="utter_relais_personne", coop_telephone=coop_phone)
            desk.mark_wait_notice(ticket.id)  # told already: the no-answer timer has nothing to add
        return [SlotSet("relais", ticket.id)]


class ActionRelaisMessage(Action):
    def name(self) -> str:
        return "action_relais_message"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        desk = handoff_desk()
        ticket = desk.get(str(tracker.get_slot("relais") or ""))
        if ticket is None or ticket.status == "ferme":
            return [SlotSet("relais", None)]  # closed elsewhere: the bot is back
        text = str(tracker.latest_message.get("text") or "")
        disposition = str(tracker.get_slot("triage_disposition") or "")
        if disposition in EMERGENCIES:
            coop_phone = content().coop(coop_id(tracker)).phone
            dispatcher.utter_message(response=f"utter_triage_{disposition}", coop_telephone=coop_phone)
            desk.member_said(ticket.id, text, emergency=True)
            return []
        if set(normalise(text).split()) & CANCEL_WORDS and len(text) < 40:
            desk.close(ticket.id, "annule", "membre")
            dispatcher.utter_message(response="utter_relais_annule")
            return [SlotSet("relais", None)]
        desk.member_said(ticket.id, text, emergency=False)
        return []


def _reasons(tracker: Tracker) -> list[str]:
    reason = tracker.get_slot("besoin_raison") or {}
    if not isinstance(reason, dict):
        return []
    rules = [str(r) for r in reason.get("regles") or []]
    if rules:
        return rules
    intent, confidence = reason.get("intention"), reason.get("confiance")
    return [f"{intent} ({confidence})"] if intent else [str(reason.get("source") or "")]


def _summary(tracker: Tracker, member_number: str) -> dict[str, str]:
    """What the clinician reads first: the complaint in the member's words, for whom, since when, age."""
    summary = {
        "motif": _complaint(tracker),
        "pour_qui": {"moi": "le membre", "enfant": "un enfant", "autre": "une autre personne"}.get(
            str(tracker.get_slot("pour_qui") or ""), "non précisé"
        ),
        "depuis_quand": str(tracker.get_slot("depuis_quand") or "non précisé"),
    }
    member = registry().get(member_number)
    if member and tracker.get_slot("pour_qui") == "moi":
        today = date.today()
        born = member.birth_date
        summary["age"] = str(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))
    return summary


def _complaint(tracker: Tracker) -> str:
    """The member's message that led to the handoff: the one the last triage reply answered."""
    last_user = ""
    complaint = ""
    for event in tracker.events:
        if event.get("event") == "user":
            last_user = str(event.get("text") or "")
        elif event.get("event") == "action" and event.get("name") == "action_triage":
            complaint = last_user
    return complaint[:500]


def _member_name(member_number: str) -> str:
    member = registry().get(member_number)
    return f"{member.first_name} {member.last_name}" if member else ""
