"""The short form asked before a clinician or a consultation: for whom, and since when."""

from __future__ import annotations

from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.summary import parse_for_whom


class ValidateFormulaireMotif(FormValidationAction):
    def name(self) -> str:
        return "validate_formulaire_motif"

    def validate_pour_qui(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return {"pour_qui": parse_for_whom(str(value or ""))}

    def validate_depuis_quand(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = str(value or "").strip()
        return {"depuis_quand": text[:200] or None}
