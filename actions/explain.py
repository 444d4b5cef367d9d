"""Answers "pourquoi?": the factors behind the bot's previous triage decision (Law 25, s. 12.1)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.resources import triage

NOTHING_TO_EXPLAIN = "Je n'ai encore rien décidé dans cette conversation. Écrivez-moi votre question."


def previous_decision(tracker: Tracker) -> dict[str, Any] | None:
    """The triage record of the message before this "pourquoi?" (the latest one is its own)."""
    records = [
        e.get("value")
        for e in tracker.events
        if e.get("event") == "slot" and e.get("name") == "triage_raison" and e.get("value")
    ]
    return records[-2] if len(records) >= 2 else None


class ActionExpliquer(Action):
    def name(self) -> str:
        return "action_expliquer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        record = previous_decision(tracker)
        if record is None:
            dispatcher.utter_message(text=NOTHING_TO_EXPLAIN)
        else:
            dispatcher.utter_message(text=triage().explain(record))
        return []
