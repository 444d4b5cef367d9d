"""The triage policy on real Rasa trackers and the project's domain, without a trained model."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from components.triage_policy import TriagePolicy

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> TriagePolicy:
    storage = LocalModelStorage(tmp_path_factory.mktemp("model"))
    config = {**TriagePolicy.get_default_config(), "safety_dir": str(ROOT / "safety")}
    policy = TriagePolicy.create(config, storage, Resource("triage"), ExecutionContext(GraphSchema({}), "test"))
    assert isinstance(policy, TriagePolicy)
    return policy


def user(text: str, intent: str, confidence: float = 0.9) -> UserUttered:
    return UserUttered(text, {"name": intent, "confidence": confidence}, [], None)


def predicted(policy: TriagePolicy, events: list[Event]) -> tuple[str | None, PolicyPrediction]:
    tracker = DialogueStateTracker.from_events("t", events, DOMAIN.slots)
    prediction = policy.predict_action_probabilities(tracker, DOMAIN)
    if prediction.max_confidence == 0:
        return None, prediction
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index], prediction


def test_emergency_gets_the_triage_action_first(policy: TriagePolicy) -> None:
    events = [ActionExecuted("action_listen"), user("elle respire plus", "saluer")]
    action, prediction = predicted(policy, events)
    assert action == "action_triage"
    assert prediction.is_no_user_prediction  # overrules a form's happy path
    slots = {e.key: e.value for e in prediction.events if isinstance(e, SlotSet)}
    assert slots["triage_disposition"] == "911"
    assert slots["triage_raison"]["regles"] == ["911-respiration"]


FORM_OPEN = [
    ActionExecuted("action_listen"),
    user("j'ai une verrue", "symptome_consultation"),
    ActionExecuted("action_triage"),
    ActionExecuted("formulaire_motif"),
    ActiveLoop("formulaire_motif"),
    SlotSet("requested_slot", "pour_qui"),
    ActionExecuted("action_listen"),
]


def test_emergency_in_the_middle_of_a_form(policy: TriagePolicy) -> None:
    events = [
        *FORM_OPEN,
        user("mon mari est tombé sans connaissance", "symptome_clinicien"),
        ActionExecuted("action_extract_slots"),
    ]
    action, _ = predicted(policy, events)
    assert action == "action_triage"


def test_a_clinician_need_does_not_restart_its_own_form(policy: TriagePolicy) -> None:
    action, prediction = predicted(policy, [*FORM_OPEN, user("depuis 3 semaines", "symptome_consultation")])
    assert action is None
    assert any(isinstance(e, SlotSet) and e.key == "triage_disposition" for e in prediction.events)


def test_after_the_triage_reply(policy: TriagePolicy) -> None:
    emergency = [
        ActionExecuted("action_listen"),
        user("je veux me tuer", "crise_suicidaire"),
        ActionExecuted("action_triage"),
    ]
    assert predicted(policy, emergency)[0] == "action_listen"
    consultation = [
        ActionExecuted("action_listen"),
        user("une verrue", "symptome_consultation"),
        ActionExecuted("action_triage"),
    ]
    assert predicted(policy, consultation)[0] == "action_porte"


@pytest.mark.parametrize(
    ("step", "form"),
    [("consentement", "formulaire_consentement"), ("identite", "formulaire_identite"), ("motif", "formulaire_motif"),
     ("fin", "action_listen")],
)  # fmt: skip
def test_after_the_gate(policy: TriagePolicy, step: str, form: str) -> None:
    events = [
        ActionExecuted("action_listen"),
        user("une verrue", "symptome_consultation"),
        ActionExecuted("action_triage"),
        ActionExecuted("action_porte"),
        SlotSet("etape_porte", step),
    ]
    assert predicted(policy, events)[0] == form


def test_info_is_left_to_the_rules_but_recorded(policy: TriagePolicy) -> None:
    action, prediction = predicted(policy, [ActionExecuted("action_listen"), user("vos heures?", "heures_ouverture")])
    assert action is None
    slots = {e.key: e.value for e in prediction.events if isinstance(e, SlotSet)}
    assert slots["triage_disposition"] == "info"


def test_quiet_once_an_action_answered(policy: TriagePolicy) -> None:
    events = [
        ActionExecuted("action_listen"),
        user("vos heures?", "heures_ouverture"),
        ActionExecuted("action_repondre_coop"),
    ]
    action, prediction = predicted(policy, events)
    assert action is None and prediction.events == []


def test_a_button_choice_is_not_raised_by_the_classifier(policy: TriagePolicy) -> None:
    question = BotUttered("Est-ce pour vous?", {"buttons": [{"title": "Pour moi", "payload": "pour moi"}]})
    events: list[Event] = [ActionExecuted("action_listen"), question, user("pour moi", "crise_suicidaire", 0.63)]
    assert predicted(policy, events)[0] != "action_triage"
    free_text = [ActionExecuted("action_listen"), user("je pense a en finir", "crise_suicidaire", 0.63)]
    assert predicted(policy, free_text)[0] == "action_triage"


def test_during_a_handoff_every_message_goes_to_the_clinician(policy: TriagePolicy) -> None:
    handoff = [SlotSet("relais", "T1"), ActionExecuted("action_listen")]
    assert predicted(policy, [*handoff, user("j'ai encore mal", "symptome_clinicien")])[0] == "action_relais_message"
    assert predicted(policy, [*handoff, user("j'ai mal a la poitrine", "symptome_911")])[0] == "action_relais_message"
    after = [*handoff, user("merci", "remercier"), ActionExecuted("action_relais_message")]
    assert predicted(policy, after)[0] == "action_listen"


def test_two_misunderstandings_lead_to_a_clinician(policy: TriagePolicy) -> None:
    once = [ActionExecuted("action_listen"), user("gfdgdf", "nlu_fallback", 0.2)]
    assert predicted(policy, once)[0] != "action_triage"
    twice = [*once, ActionExecuted("utter_default"), ActionExecuted("action_listen"), user("xkcd", "nlu_fallback", 0.2)]
    name, prediction = predicted(policy, twice)
    assert name == "action_triage"
    assert SlotSet("triage_disposition", "clinicien") in prediction.events
