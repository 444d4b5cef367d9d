"""The dialogue state's names are enums whose values are what the `dialogue` slot stores."""

import json

from bot.booking.flow import BookingRequest, BookingStep, FlowState
from bot.content import Content
from bot.dialogue.model import Flow, FlowName, Goal, IdentityStep, Request, State, SummaryStep
from bot.platform.language import FRENCH


def test_a_state_is_stored_as_plain_words_and_read_back() -> None:
    booking = FlowState(BookingStep.CHOICE, offered=["a"])
    state = State(
        request=Request(Goal.BOOKING, "consultation"), flow=Flow(FlowName.BOOKING, booking.step, booking.to_slot())
    )
    stored = json.loads(json.dumps(state.to_slot()))
    assert stored["request"]["goal"] == "rdv" and stored["flow"]["name"] == "rdv" and stored["flow"]["step"] == "choix"
    read = State.from_slot(stored)
    assert read == state and read.flow is not None and read.flow.name == FlowName.BOOKING
    assert FlowState.from_slot(read.flow.data) == booking


def test_the_stored_words_are_unchanged() -> None:
    """Conversations stored before the enums read the same: these words are in Redis."""
    assert [g.value for g in Goal] == ["relais", "rdv", "mes_rdv", "donnees_voir", "donnees_effacer"]
    assert [f.value for f in FlowName] == ["alarme", "consentement", "identite", "motif", "rdv", "mes_rdv", "attente"]
    assert [s.value for s in IdentityStep] == ["numero", "naissance", "prenom", "code"]
    assert [s.value for s in SummaryStep] == ["pour_qui", "age", "depuis"]
    assert [s.value for s in BookingStep] == ["modalite", "quand", "choix", "liste", "action"]
    assert [r.value for r in BookingRequest] == ["lister", "annuler", "changer"]


def test_a_state_stored_before_the_typed_booking_request_still_reads() -> None:
    """The request for the member's bookings used to ride in the reason ("demande") and the list's `need`."""
    old = {
        "request": {"goal": "mes_rdv", "reason": {"demande": "annuler"}},
        "flow": {"name": "mes_rdv", "step": "liste"},
    }
    state = State.from_slot(old)
    assert state.request is not None and state.request.goal == Goal.MY_BOOKINGS and state.request.bookings == ""
    assert state.request.reason == {"demande": "annuler"}
    listed = FlowState.from_slot({"step": "liste", "need": "changer", "offered": ["R1"]})
    assert listed is not None and listed.wanted == "" and listed.need == BookingRequest.MOVE


def test_every_identity_question_is_in_the_content(content: Content) -> None:
    for step in IdentityStep:
        assert content.say(step.prompt, FRENCH, None).strip(), step
