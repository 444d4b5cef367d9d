"""The reply to a triage disposition: the resource first, then stop any interrupted form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.resources import content, coop_id, handoff_desk

# Dispositions where the member must act now: whatever form was open is abandoned.
INTERRUPTING = {"911", "crise", "urgence"}
FORM_SLOTS = ("pour_qui", "depuis_quand")


class ActionTriage(Action):
    def name(self) -> str:
        return "action_triage"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        disposition = tracker.get_slot("triage_disposition") or "clinicien"
        coop = content().coop(coop_id(tracker))
        reason = tracker.get_slot("triage_raison") or {}
        if isinstance(reason, dict) and reason.get("source") == "incompris":
            dispatcher.utter_message(response="utter_incompris_relais")
        else:
            dispatcher.utter_message(response=f"utter_triage_{disposition}", coop_telephone=coop.phone)
        # What the member needs, kept apart from `triage_disposition` (rewritten at every message) for
        # the steps that follow: the gate, the summary form, then the ticket or the booking.
        events: list[EventType] = [SlotSet("besoin", disposition), SlotSet("besoin_raison", reason or None)]
        if disposition == "urgence":
            # A clinician on duty can take an urgent case too, after the advice above.
            on_duty = handoff_desk().on_duty() > 0
            events.append(SlotSet("clinicien_de_garde", on_duty))
            if on_duty:
                dispatcher.utter_message(response="utter_relais_propose")
        if disposition in INTERRUPTING and tracker.get_slot("rdv_flux"):
            events.append(SlotSet("rdv_flux", None))  # a booking in progress waits for another day
        if disposition in INTERRUPTING and tracker.active_loop.get("name"):
            events += [ActiveLoop(None), SlotSet("requested_slot", None), *(SlotSet(s, None) for s in FORM_SLOTS)]
        return events
