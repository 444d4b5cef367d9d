"""Answers about the coop (hours, address, services, membership, telemedicine, 811)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.resources import content, coop_id, latest_intent


class ActionRepondreCoop(Action):
    def name(self) -> str:
        return "action_repondre_coop"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        topic = latest_intent(tracker)
        answer = content().coop_answer(topic, coop_id(tracker))
        if answer:
            dispatcher.utter_message(text=answer)
        else:
            dispatcher.utter_message(response="utter_default")
        return []
