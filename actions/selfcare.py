"""General self-care information for minor problems, always with a safety net."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.resources import content, latest_intent


class ActionSoins(Action):
    def name(self) -> str:
        return "action_soins"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        answer = content().selfcare_answer(latest_intent(tracker))
        if answer:
            dispatcher.utter_message(text=answer)
        else:
            dispatcher.utter_message(response="utter_default")
        return []
