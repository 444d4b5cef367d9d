"""A verified member sees or erases what the assistant holds about them."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.resources import consent_store, redis_client, registry
from bot.audit import AuditLog
from bot.privacy import data_summary, request_erasure
from bot.settings import load_settings

REQUESTS = {"donnees_effacer": "effacer", "donnees_voir": "voir"}


def perform_data_request(request: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Carry out 'voir' or 'effacer' for the verified member of this conversation."""
    sender = tracker.sender_id
    member = registry().get(str(tracker.get_slot("membre") or ""))
    audit = AuditLog(redis_client())
    if request == "effacer":
        consent_store().withdraw(sender)
        request_erasure(redis_client(), sender)
        audit.record("effacement", "demande", sender)
        dispatcher.utter_message(response="utter_donnees_effacees")
        return [SlotSet("membre", None), SlotSet("consentement", None)]
    if member is not None:
        consent = consent_store().entry(sender)
        dispatcher.utter_message(text=data_summary(member, consent, load_settings().tracker_retention_days))
        audit.record("acces_donnees", "resume", sender, member.number)
    return []


class ActionDonnees(Action):
    def name(self) -> str:
        return "action_donnees"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name", "")
        request = REQUESTS.get(intent, "voir")
        if tracker.get_slot("membre"):
            return [SlotSet("etape_porte", "fin"), *perform_data_request(request, dispatcher, tracker)]
        dispatcher.utter_message(response="utter_verifier_avant_donnees")
        return [
            SlotSet("demande_donnees", request),
            SlotSet("etape_porte", "identite"),
            *(SlotSet(s, None) for s in ("numero_membre", "date_naissance", "code_verification")),
        ]
