"""The reply to a triage disposition: the resource first, then stop any interrupted form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.resources import content, coop_id

# Dispositions where the member must act now: whatever form was open is abandoned.
INTERRUPTING = {"911", "crise", "urgence"}
FORM_SLOTS = ("pour_qui", "depuis_quand")


class ActionTriage(Action):
    def name(self) -> str:
        return "action_triage"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        disposition = tracker.get_slot("triage_disposition") or "clinicien"
        coop = content().coop(coop_id(tracker))
        dispatcher.utter_message(response=f"utter_triage_{disposition}", coop_telephone=coop.phone)
        if disposition in INTERRUPTING and tracker.active_loop.get("name"):
            return [ActiveLoop(None), SlotSet("requested_slot", None), *(SlotSet(s, None) for s in FORM_SLOTS)]
        return []
