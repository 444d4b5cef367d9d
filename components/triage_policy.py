"""The triage policy: sees every member message first, on every channel, in any state.

It triages the message in its request (bot/triage: the clinical table decides, the classifier may
raise), records the disposition and its reason as slots (for "pourquoi?", the audit trail and the
slot `triage_disposition` that other systems read), logs one line without personal data, and
predicts `action_tour` (bot/dialogue answers: emergencies first). After that action, it listens.
It predicts with priority over any other policy, so nothing can come before an emergency answer.
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
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.answers import AnswerFinder, load_answer_finder
from bot.content import load_content
from bot.dialogue.slots import Slot
from bot.metrics import METRICS
from bot.platform.settings import PROJECT_ROOT, load_settings
from bot.triage import Decision, Triage, Turn, load_triage

logger = logging.getLogger("coopsante.triage")

ACTION_TURN = "action_tour"
SLOT_DISPOSITION = Slot.TRIAGE_DISPOSITION
SLOT_REASON = Slot.TRIAGE_REASON
SLOT_EPISODE = Slot.TRIAGE_EPISODE


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False)
class TriagePolicy(Policy):
    """Triage every member message, then hand the turn to `action_tour`."""

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
        settings = load_settings()
        safety_dir = Path(config.get("safety_dir") or settings.safety_dir)
        self.triage: Triage = load_triage(safety_dir, PROJECT_ROOT / "models")
        # Tells a question about the coop ("vous fermez à quelle heure?") from a health message.
        content = load_content(settings.content_dir, settings.default_coop)
        self.answers: AnswerFinder = load_answer_finder(content, PROJECT_ROOT / "data" / "faq")

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def decide(self, tracker: DialogueStateTracker) -> Decision:
        message = tracker.latest_message
        text = (message.text if message else "") or ""
        episode = tracker.get_slot(SLOT_EPISODE) or []
        history = [t for t in (Turn.from_record(r) for r in episode) if t is not None]
        earlier = _earlier_texts(tracker, len(history))
        return self.triage.decide(text, history, earlier, ordinary=self.answers.reads_as_ordinary(text))

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        last = _last_step(tracker)
        if last == "user":
            began = time.perf_counter()
            decision = self.decide(tracker)
            record = decision.as_record()
            logger.info(json.dumps({"event": "triage", **record}, ensure_ascii=False))
            channel = tracker.latest_message.input_channel if tracker.latest_message else None
            METRICS.message(channel or "", decision.disposition.value, time.perf_counter() - began)
            episode = [*(tracker.get_slot(SLOT_EPISODE) or []), decision.turn.to_record()][-8:]
            events = [
                SlotSet(SLOT_DISPOSITION, decision.disposition.value),
                SlotSet(SLOT_REASON, record),
                SlotSet(SLOT_EPISODE, episode),
            ]
            probabilities[domain.index_for_action(ACTION_TURN)] = 1.0
            return self._prediction(probabilities, events=events, is_no_user_prediction=True)
        if last == ACTION_TURN:
            probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities, is_no_user_prediction=True)
        return self._prediction(probabilities)


def _earlier_texts(tracker: DialogueStateTracker, count: int) -> list[str]:
    """The texts of the `count` member messages before the latest one (the request's earlier turns)."""
    if count <= 0:
        return []
    texts = [e.text or "" for e in tracker.events if isinstance(e, UserUttered)][:-1]
    return texts[-count:]


def _last_step(tracker: DialogueStateTracker) -> str | None:
    """'user' right after a member message, or the name of the last action run since."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return "user"
        if isinstance(event, ActionExecuted) and event.action_name != "action_extract_slots":
            return str(event.action_name)
    return None
