"""Custom actions with a CollectingDispatcher, asserting the exact events and responses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.coop import ActionRepondreCoop
from actions.explain import NOTHING_TO_EXPLAIN, ActionExpliquer
from actions.handoff import ActionMotifRecu
from actions.selfcare import ActionSoins
from actions.summary_form import ValidateFormulaireMotif
from actions.triage import ActionTriage
from bot.content import Content


@pytest.fixture(autouse=True)
def project_redis(redis_url: str, redis_client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Actions that look at the handoff desk (is a clinician on duty?) use the test Redis."""
    from actions import resources

    monkeypatch.setenv("REDIS_URL", redis_url)
    resources.redis_client.cache_clear()
    yield redis_client
    resources.redis_client.cache_clear()


BOOKKEEPING = {"clinicien_de_garde", "besoin", "besoin_raison"}  # slots action_triage sets for later steps
DOMAIN: dict[str, Any] = {"slots": {}, "responses": {}, "forms": {"formulaire_motif": {}}}


def tracker(
    intent: str = "saluer",
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    return Tracker(
        sender_id="test",
        slots=slots or {},
        latest_message={"text": "x", "intent": {"name": intent, "confidence": 1.0}, "metadata": metadata or {}},
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run(action: Any, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, DOMAIN)
    return events, dispatcher.messages


@pytest.mark.parametrize("disposition", ["911", "crise", "urgence", "clinicien", "consultation"])
def test_triage_reply_names_the_response(disposition: str) -> None:
    events, messages = run(ActionTriage(), tracker(slots={"triage_disposition": disposition}))
    assert [e for e in events if e.get("name") not in BOOKKEEPING] == []
    assert messages[0]["response"] == f"utter_triage_{disposition}"
    assert len(messages) == 1  # the resource, nothing before it


def test_consultation_reply_carries_the_coop_phone(content: Content) -> None:
    _, messages = run(
        ActionTriage(), tracker(slots={"triage_disposition": "consultation", "coop": "hautes-laurentides"})
    )
    assert messages[0]["coop_telephone"] == content.coops["hautes-laurentides"].phone


@pytest.mark.parametrize("disposition", ["911", "crise", "urgence"])
def test_an_emergency_ends_the_form(disposition: str) -> None:
    t = tracker(slots={"triage_disposition": disposition, "pour_qui": "moi"}, active_loop="formulaire_motif")
    events, messages = run(ActionTriage(), t)
    assert messages[0]["response"] == f"utter_triage_{disposition}"
    assert [e for e in events if e.get("name") not in BOOKKEEPING] == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("pour_qui", None),
        SlotSet("depuis_quand", None),
    ]


def test_the_need_is_kept_for_the_steps_after_the_gate() -> None:
    events, _ = run(
        ActionTriage(), tracker(slots={"triage_disposition": "clinicien", "triage_raison": {"regles": ["r"]}})
    )
    assert SlotSet("besoin", "clinicien") in events and SlotSet("besoin_raison", {"regles": ["r"]}) in events


def test_an_urgent_need_offers_a_clinician_on_duty(project_redis: Any) -> None:
    from bot.handoff import HandoffDesk

    t = tracker(slots={"triage_disposition": "urgence"})
    events, messages = run(ActionTriage(), t)
    assert SlotSet("clinicien_de_garde", False) in events and len(messages) == 1
    HandoffDesk(project_redis).heartbeat("inf@coop.example")
    events, messages = run(ActionTriage(), t)
    assert SlotSet("clinicien_de_garde", True) in events
    assert [m["response"] for m in messages] == ["utter_triage_urgence", "utter_relais_propose"]


def test_coop_answer_uses_the_default_coop(content: Content) -> None:
    _, messages = run(ActionRepondreCoop(), tracker(intent="heures_ouverture"))
    assert messages[0]["text"] == content.coop_answer("heures_ouverture")


def test_coop_answer_follows_the_message_metadata(content: Content) -> None:
    t = tracker(intent="adresse", metadata={"coop": "hautes-laurentides"})
    _, messages = run(ActionRepondreCoop(), t)
    assert "Mont-Laurier" in messages[0]["text"]


def test_coop_answer_for_an_unknown_topic_falls_back() -> None:
    _, messages = run(ActionRepondreCoop(), tracker(intent="saluer"))
    assert messages[0]["response"] == "utter_default"


def test_selfcare_answer(content: Content) -> None:
    _, messages = run(ActionSoins(), tracker(intent="nausee"))
    assert messages[0]["text"] == content.selfcare_answer("nausee")
    _, messages = run(ActionSoins(), tracker(intent="heures_ouverture"))
    assert messages[0]["response"] == "utter_default"


def slot_event(value: dict[str, Any]) -> dict[str, Any]:
    return {"event": "slot", "name": "triage_raison", "value": value}


def test_explain_gives_the_previous_decision() -> None:
    emergency = {"disposition": "911", "source": "regle", "regles": ["911-douleur-thoracique"], "intention": None}
    why = {"disposition": "info", "source": "classifieur", "regles": [], "intention": "pourquoi", "confiance": 0.9}
    _, messages = run(ActionExpliquer(), tracker(intent="pourquoi", events=[slot_event(emergency), slot_event(why)]))
    assert "poitrine" in messages[0]["text"]


def test_explain_with_nothing_decided_yet() -> None:
    why = {"disposition": "info", "source": "classifieur", "intention": "pourquoi", "confiance": 0.9}
    _, messages = run(ActionExpliquer(), tracker(intent="pourquoi", events=[slot_event(why)]))
    assert messages[0]["text"] == NOTHING_TO_EXPLAIN


def test_summary_form_validation() -> None:
    validator = ValidateFormulaireMotif()
    dispatcher = CollectingDispatcher()
    assert validator.validate_pour_qui("mon fils", dispatcher, tracker(), {}) == {"pour_qui": "enfant"}
    assert validator.validate_depuis_quand("  depuis 3 jours ", dispatcher, tracker(), {}) == {
        "depuis_quand": "depuis 3 jours"
    }
    assert validator.validate_depuis_quand("x" * 500, dispatcher, tracker(), {})["depuis_quand"] == "x" * 200


def test_summary_received_then_booking_starts() -> None:
    events, messages = run(ActionMotifRecu(), tracker())
    assert messages[0]["response"] == "utter_motif_recu"
    assert "Comment préférez-vous consulter?" in messages[1]["text"]
    assert events[0]["name"] == "rdv_flux" and events[0]["value"]["step"] == "modalite"
