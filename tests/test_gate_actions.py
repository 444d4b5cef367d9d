"""The membership gate's actions with a CollectingDispatcher and a real Redis server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.data_rights import ActionDonnees
from actions.gate import ActionPorte, ValidateFormulaireIdentite
from bot.consent import ConsentStore, load_notice
from bot.member_store import MemberRegistry
from bot.members import Member
from bot.privacy import take_erasure_request
from bot.settings import load_settings
from tests.conftest import LocalTwilio

PHONE = "+18195550101"
GISELE = Member("VM-000101", "Gisèle", "Tremblay", date(1948, 3, 12), PHONE, "Coop", "actif", date(2099, 1, 31))
AMINA = Member("MTL-004522", "Amina", "Diallo", date(1990, 9, 15), "+14385550177", "Coop", "expire", None)


@pytest.fixture(autouse=True)
def project_redis(
    redis_url: str, redis_client: Any, twilio_local: LocalTwilio, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    for name, value in twilio_local.environment().items():
        monkeypatch.setenv(name, value)
    resources.redis_client.cache_clear()
    MemberRegistry(redis_client).upsert([GISELE, AMINA])
    yield redis_client
    resources.redis_client.cache_clear()


def tracker(sender: str = "web-1", intent: str = "affirmer", **slots: Any) -> Tracker:
    return Tracker(
        sender_id=sender,
        slots=slots,
        latest_message={"text": "x", "intent": {"name": intent, "confidence": 1.0}, "metadata": {}},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def run_gate(t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    return ActionPorte().run(dispatcher, t, {}), dispatcher.messages


def step_of(events: list[dict[str, Any]]) -> str:
    return str(next(e["value"] for e in events if e.get("name") == "etape_porte"))


def test_consent_comes_first() -> None:
    events, messages = run_gate(tracker())
    assert step_of(events) == "consentement" and messages == []


def test_a_yes_is_recorded_then_identity_is_asked(project_redis: Any) -> None:
    events, _ = run_gate(tracker(consentement=True))
    assert step_of(events) == "identite"
    assert ConsentStore(project_redis).current("web-1", load_notice(load_settings().content_dir))


def test_a_no_still_leaves_general_help() -> None:
    events, messages = run_gate(tracker(consentement=False))
    assert step_of(events) == "fin"
    assert "911" in messages[0]["text"] and SlotSet("consentement", None) in events


def test_verified_member_with_the_plan_goes_on() -> None:
    run_gate(tracker(consentement=True))
    events, _ = run_gate(tracker(consentement=True, membre="VM-000101"))
    assert step_of(events) == "motif"


def test_expired_membership_is_explained() -> None:
    events, messages = run_gate(tracker(consentement=True, membre="MTL-004522"))
    assert step_of(events) == "fin" and messages[0]["response"] == "utter_statut_expire"


def validate(slot: str, value: str, t: Tracker) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    method = getattr(ValidateFormulaireIdentite(), f"validate_{slot}")
    return method(value, dispatcher, t, {}), dispatcher.messages


def test_sms_identity_by_date_of_birth() -> None:
    slots, messages = validate("date_naissance", "12 mars 1948", tracker(sender=PHONE))
    assert slots == {"date_naissance": "ok", "membre": "VM-000101"}
    assert messages[0]["prenom"] == "Gisèle"


def test_a_wrong_date_never_shows_a_name() -> None:
    slots, messages = validate("date_naissance", "1 janvier 1950", tracker(sender=PHONE))
    assert slots == {"date_naissance": None}
    assert messages[0]["response"] == "utter_identite_refusee"
    assert "Gisèle" not in str(messages) and "Tremblay" not in str(messages)


def test_web_identity_with_a_code(project_redis: Any, twilio_local: LocalTwilio) -> None:
    t = tracker(sender="web-9", numero_membre="VM-000101")
    slots, _ = validate("date_naissance", "1948-03-12", t)
    assert slots == {"date_naissance": "ok"}
    sms = str(twilio_local.sent_to(PHONE)[-1]["body"])
    code = "".join(ch for ch in sms if ch.isdigit())[:6]
    slots, messages = validate("code_verification", code, t)
    assert slots["membre"] == "VM-000101" and messages[0]["prenom"] == "Gisèle"


def test_five_failures_lock() -> None:
    for _ in range(5):
        validate("date_naissance", "1 janvier 1950", tracker(sender=PHONE))
    slots, messages = validate("date_naissance", "12 mars 1948", tracker(sender=PHONE))
    assert slots == {"date_naissance": "verrouille"} and messages[0]["response"] == "utter_verrouille"
    events, _ = run_gate(tracker(sender=PHONE, consentement=True, date_naissance="verrouille"))
    assert step_of(events) == "fin"


def test_required_slots_depend_on_the_channel() -> None:
    import asyncio

    form = ValidateFormulaireIdentite()
    sms = asyncio.run(form.required_slots([], CollectingDispatcher(), tracker(sender=PHONE), {}))
    web = asyncio.run(form.required_slots([], CollectingDispatcher(), tracker(sender="web-1"), {}))
    assert sms == ["date_naissance"] and web == ["numero_membre", "date_naissance", "code_verification"]


def test_data_summary_for_a_verified_member() -> None:
    dispatcher = CollectingDispatcher()
    ActionDonnees().run(dispatcher, tracker(sender=PHONE, intent="donnees_voir", membre="VM-000101"), {})
    assert "VM-000101" in dispatcher.messages[0]["text"] and "30 jours" in dispatcher.messages[0]["text"]


def test_data_requests_need_identity_first() -> None:
    dispatcher = CollectingDispatcher()
    events = ActionDonnees().run(dispatcher, tracker(intent="donnees_effacer"), {})
    assert SlotSet("demande_donnees", "effacer") in events and SlotSet("etape_porte", "identite") in events
    assert dispatcher.messages[0]["response"] == "utter_verifier_avant_donnees"


def test_erasure(project_redis: Any) -> None:
    dispatcher = CollectingDispatcher()
    t = tracker(sender=PHONE, intent="donnees_effacer", membre="VM-000101")
    events = ActionDonnees().run(dispatcher, t, {})
    assert dispatcher.messages[0]["response"] == "utter_donnees_effacees"
    assert SlotSet("membre", None) in events
    assert take_erasure_request(project_redis, PHONE)


def test_a_phone_that_opted_out_gets_no_code_and_the_web_answer_is_the_same(
    project_redis: Any, twilio_local: LocalTwilio
) -> None:
    from bot.sms_keywords import OptOuts

    OptOuts(project_redis).stop(PHONE, "keyword")
    before = len(twilio_local.sent_to(PHONE))
    slots, _ = validate("date_naissance", "1948-03-12", tracker(sender="web-10", numero_membre="VM-000101"))
    assert slots == {"date_naissance": "ok"}  # what an unknown member would read too
    assert len(twilio_local.sent_to(PHONE)) == before
