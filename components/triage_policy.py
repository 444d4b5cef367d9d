"""The triage policy: sees every user message first, on every channel, in any state.

It runs the safety triage (bot.triage) on the message and the classifier's intent ranking,
records the disposition and its reason as slots (in the conversation, for "pourquoi?" and the
audit trail), and logs one line without personal data. For any disposition above `info` it
predicts `action_triage` as a no-user prediction, which overrules rules, forms and fallbacks:
an emergency never waits behind a form. After a clinician or consultation reply it hands over to
the membership gate (`action_porte`) and then runs the form that the gate chose (`etape_porte`).

While a clinician has the member (slot `relais`), triage still runs on every message, and every
message goes to `action_relais_message` (the ticket's thread; the resource for an emergency), then
the bot listens. Two misunderstandings in a row lead to a clinician like a clinician need does.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_EXTRACT_SLOTS, ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.booking_flow import wants as wants_booking
from bot.metrics import METRICS
from bot.settings import load_settings
from bot.text import normalise
from bot.triage import ClassifierSignal, Decision, Disposition, load_triage

logger = logging.getLogger("coopsante.triage")

ACTION_TRIAGE = "action_triage"
GATE_ACTIONS = ("action_porte", "action_donnees", "action_rdv")  # each may send the member to identify
SUMMARY_FORM = "formulaire_motif"
# The next form after the membership gate, by the step it wrote in `etape_porte`.
GATE_STEPS = {"consentement": "formulaire_consentement", "identite": "formulaire_identite", "motif": SUMMARY_FORM}
GATE_FORMS = frozenset(GATE_STEPS.values())
SLOT_DISPOSITION = "triage_disposition"
SLOT_REASON = "triage_raison"
SLOT_HANDOFF = "relais"
ACTION_RELAY = "action_relais_message"
SLOT_BOOKING = "rdv_flux"
ACTION_BOOKING = "action_rdv"
EMERGENCIES = {Disposition.NEUF_UN_UN, Disposition.CRISE, Disposition.URGENCE}
DATA_RIGHTS = {"donnees_effacer", "donnees_voir"}
DATA_RIGHTS_CONFIDENCE = 0.6
FALLBACK_INTENT = "nlu_fallback"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False)
class TriagePolicy(Policy):
    """Routes every message above `info` to `action_triage` before any other policy."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 10, "safety_dir": None}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        safety_dir = config.get("safety_dir") or load_settings().safety_dir
        self.triage = load_triage(Path(safety_dir))

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def decide(self, tracker: DialogueStateTracker) -> Decision:
        message = tracker.latest_message
        text = (message.text if message else "") or ""
        parse_data = message.parse_data if message else {}
        # A choice among the buttons the bot just offered ("Pour moi") describes no symptom: the
        # rules still read it, but the classifier may not raise it (it once took "pour moi" for a crisis).
        signal = (
            ClassifierSignal()
            if _is_offered_choice(tracker, text)
            else ClassifierSignal.from_parse_data(parse_data or {})
        )
        return self.triage.decide(text, signal)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        step = _step_after_user_message(tracker)
        if step == "triage":
            began = time.perf_counter()
            decision = self.decide(tracker)
            record = decision.as_record()
            disposition = decision.disposition
            if disposition == Disposition.INFO and not tracker.get_slot(SLOT_HANDOFF) and _misunderstood_twice(tracker):
                disposition = Disposition.CLINICIEN
                record = {**record, "disposition": disposition.value, "source": "incompris"}
            logger.info(json.dumps({"event": "triage", **record}, ensure_ascii=False))
            channel = tracker.latest_message.input_channel if tracker.latest_message else None
            METRICS.message(channel or "", disposition.value, time.perf_counter() - began)
            events = [SlotSet(SLOT_DISPOSITION, disposition.value), SlotSet(SLOT_REASON, record)]
            if tracker.get_slot(SLOT_HANDOFF):
                probabilities[domain.index_for_action(ACTION_RELAY)] = 1.0
                return self._prediction(probabilities, events=events, is_no_user_prediction=True)
            if disposition not in EMERGENCIES and _about_bookings(tracker):
                probabilities[domain.index_for_action(ACTION_BOOKING)] = 1.0
                return self._prediction(probabilities, events=events, is_no_user_prediction=True)
            if _needs_triage_reply(disposition, tracker.active_loop_name):
                probabilities[domain.index_for_action(ACTION_TRIAGE)] = 1.0
                return self._prediction(probabilities, events=events, is_no_user_prediction=True)
            return self._prediction(probabilities, events=events)
        if step == "after_relay":
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities, is_no_user_prediction=True)
        if step == "after_triage":
            recorded = tracker.get_slot(SLOT_DISPOSITION)
            disposition = Disposition(str(recorded)) if recorded else self.decide(tracker).disposition
            urgent_with_clinician = disposition == Disposition.URGENCE and tracker.get_slot("clinicien_de_garde")
            handed_over = disposition in _SUMMARY_DISPOSITIONS or urgent_with_clinician
            follow_up = "action_porte" if handed_over else ACTION_LISTEN_NAME
            probabilities[domain.index_for_action(follow_up)] = 1.0
            return self._prediction(probabilities, is_no_user_prediction=True)
        if step == "after_gate":
            follow_up = GATE_STEPS.get(str(tracker.get_slot("etape_porte")), ACTION_LISTEN_NAME)
            probabilities[domain.index_for_action(follow_up)] = 1.0
            return self._prediction(probabilities, is_no_user_prediction=True)
        return self._prediction(probabilities)


_SUMMARY_DISPOSITIONS = {Disposition.CLINICIEN, Disposition.CONSULTATION}


def _needs_triage_reply(disposition: Disposition, active_loop: str | None) -> bool:
    """Every disposition above info gets the triage reply, except a clinician or consultation
    need raised again while the gate or the summary form for it is being filled."""
    if disposition == Disposition.INFO:
        return False
    return not (active_loop in GATE_FORMS and disposition in _SUMMARY_DISPOSITIONS)


def _about_bookings(tracker: DialogueStateTracker) -> bool:
    """A booking in progress, or a message about the member's own bookings ("mes rendez-vous", "ANNULER")."""
    message = tracker.latest_message
    intent = (message.intent or {}) if message else {}
    if intent.get("name") in DATA_RIGHTS and float(intent.get("confidence") or 0) >= DATA_RIGHTS_CONFIDENCE:
        return False  # seeing or erasing one's data comes before a booking in progress
    if tracker.get_slot(SLOT_BOOKING):
        return True
    text = (message.text if message else "") or ""
    return wants_booking(text) is not None or normalise(text) in ("annuler", "annule")


def _is_offered_choice(tracker: DialogueStateTracker, text: str) -> bool:
    wanted = normalise(text)
    for event in reversed(tracker.events):
        if isinstance(event, BotUttered):
            buttons = (event.data or {}).get("buttons") or []
            choices = {normalise(str(b.get(k) or "")) for b in buttons for k in ("title", "payload")}
            return bool(wanted) and wanted in choices
    return False


def _misunderstood_twice(tracker: DialogueStateTracker) -> bool:
    """The classifier understood neither this message nor the one before it."""
    intents = [(e.intent or {}).get("name") for e in reversed(tracker.events) if isinstance(e, UserUttered)][:2]
    return len(intents) == 2 and all(i == FALLBACK_INTENT for i in intents)


def _step_after_user_message(tracker: DialogueStateTracker) -> str | None:
    """'triage' right after a user message, 'after_triage' right after action_triage,
    'after_gate' right after the membership gate decided the next step, 'after_relay' right
    after a message was passed to the clinician."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return "triage"
        if isinstance(event, ActionExecuted):
            if event.action_name == ACTION_EXTRACT_SLOTS:
                continue
            if event.action_name == ACTION_TRIAGE:
                return "after_triage"
            if event.action_name in GATE_ACTIONS:
                return "after_gate"
            if event.action_name == ACTION_RELAY:
                return "after_relay"
            return None
    return None
