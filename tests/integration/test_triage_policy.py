"""The triage policy on real Rasa trackers and the project's domain, without a trained model."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.triage_policy import TriagePolicy

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> TriagePolicy:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    config = {**TriagePolicy.get_default_config(), "safety_dir": str(ROOT / "safety")}
    policy = TriagePolicy.create(config, storage, Resource("triage"), ExecutionContext(GraphSchema({}), "test"))
    assert isinstance(policy, TriagePolicy)
    return policy


def user(text: str, intent: str = "question", confidence: float = 0.9) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence}, [], None)


def predicted(policy: TriagePolicy, events: list[Event]) -> tuple[str | None, PolicyPrediction]:
    tracker = DialogueStateTracker.from_events("t", events, DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if prediction.max_confidence == 0:
        return None, prediction
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index], prediction


def slots(prediction: PolicyPrediction) -> dict[str, object]:
    return {e.key: e.value for e in prediction.events if isinstance(e, SlotSet)}


def test_every_message_is_triaged_then_answered_by_the_one_action(policy: TriagePolicy) -> None:
    action, prediction = predicted(policy, [ActionExecuted("action_listen"), user("elle respire plus", "saluer")])
    assert action == "action_tour"
    assert prediction.is_no_user_prediction  # nothing comes before it
    written = slots(prediction)
    assert written["triage_disposition"] == "911"
    assert written["triage_raison"]["constats"] == ["ne_respire_pas"]  # type: ignore[index]
    assert "elle" not in str(written)  # ids and numbers, never the member's words


def test_after_the_answer_the_bot_listens(policy: TriagePolicy) -> None:
    events = [ActionExecuted("action_listen"), user("bonjour", "saluer"), ActionExecuted("action_tour")]
    action, _ = predicted(policy, events)
    assert action == "action_listen"


def test_the_request_is_triaged_as_a_whole(policy: TriagePolicy) -> None:
    first = [ActionExecuted("action_listen"), user("mon père est tombé en pelletant")]
    _, prediction = predicted(policy, first)
    episode = slots(prediction)["triage_episode"]
    events = [
        *first,
        *prediction.events,
        ActionExecuted("action_tour"),
        ActionExecuted("action_listen"),
        user("pis là il répond pu pis il respire pu"),
    ]
    _, prediction = predicted(policy, events)
    written = slots(prediction)
    assert written["triage_disposition"] == "911"
    assert len(written["triage_episode"]) == len(episode) + 1  # type: ignore[arg-type]
