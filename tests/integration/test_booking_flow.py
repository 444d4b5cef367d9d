"""The booking conversation in plain Python, against a real Redis: book, list, cancel, move, deadlines.

Every sentence comes from content/texts.yml (section `rdv`) through the desk's `say`, in French or
in English. Between two messages the state goes through `to_slot`/`from_slot`, as the conversation
keeps it.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.booking.availability import QUEBEC, Availability, Block, load_rules
from bot.booking.flow import (
    Desk,
    FlowState,
    Member,
    Step,
    booking_message,
    cancel_reminded,
    confirmation,
    listing,
    reask,
    start,
    step,
    wants,
    wants_new,
)
from bot.booking.store import Booking, BookingStore
from bot.content import load_content
from bot.platform.sms_text import with_choices

ROOT = Path(__file__).resolve().parents[2]
RULES = load_rules(ROOT / "content")
CONTENT = load_content(ROOT / "content")
NOW = datetime(2026, 11, 23, 10, 15, tzinfo=QUEBEC)  # a Monday morning
MEMBER = Member("VM-000101", "Gisèle Tremblay", "val-morin", "819 555-0100", "+18195550101", "sms")
OTHER = Member("VM-000102", "Autre Membre", "val-morin", "819 555-0100", "+18195550102", "sms")
TUESDAY_9 = "mardi 24 novembre à 9 h"
WEDNESDAY_9 = "mercredi 25 novembre à 9 h"


def open_hours(database: Any) -> Availability:
    """A doctor by video from 9 h to 10 h every day from Tuesday to next Monday (15-minute slots),
    and on Thursday afternoon from 13 h to 14 h 30."""
    availability = Availability(database)
    if availability.empty():
        blocks = []
        for day in range(1, 8):
            morning = (NOW + timedelta(days=day)).replace(hour=9, minute=0)
            blocks.append(
                Block("dre@coop.example", "medecin", "val-morin", ("video",), morning, morning.replace(hour=10))
            )
        afternoon = datetime(2026, 11, 26, 13, 0, tzinfo=QUEBEC)
        end = afternoon.replace(hour=14, minute=30)
        blocks.append(Block("dre@coop.example", "medecin", "val-morin", ("video",), afternoon, end))
        availability.add(blocks)
    return availability


def desk(database: Any, now: datetime = NOW, language: str = "fr", summary: dict[str, str] | None = None) -> Desk:
    say = functools.partial(CONTENT.say, language=language, coop_id=MEMBER.coop)
    summary = {"motif": "verrue"} if summary is None else summary
    return Desk(RULES, open_hours(database), BookingStore(database), now, say, language, summary)


def kept(state: FlowState | None) -> FlowState:
    """The state as the conversation gives it back at the next message (a plain dictionary)."""
    assert state is not None
    again = FlowState.from_slot(state.to_slot())
    assert again == state
    return again


def answer(
    database: Any,
    state: FlowState | None,
    text: str,
    member: Member = MEMBER,
    language: str = "fr",
    now: datetime = NOW,
) -> Step:
    """One answer of the member to the flow's question; it must be taken as an answer."""
    result = step(kept(state), text, member, desk(database, now, language))
    assert result.answered, f"{text!r} was not taken as an answer"
    return result


def titles(result: Step) -> list[str]:
    return [title for title, _ in result.replies[0].choices]


def slots_offered(result: Step) -> list[str]:
    """The slots of an offer, without its last choice ("Autres plages")."""
    return titles(result)[:-1]


def ask_slots(database: Any, when: str, member: Member = MEMBER, language: str = "fr") -> Step:
    started = start("consultation", desk(database, language=language))
    asked = answer(database, started.state, "video", member, language)
    offer = answer(database, asked.state, when, member, language)
    assert offer.state is not None and offer.state.step == "choix"
    return offer


def book(database: Any, when: str = "demain matin", choice: str = "plage 1", member: Member = MEMBER) -> Booking:
    before = {b.id for b in upcoming(database, member)}
    done = answer(database, ask_slots(database, when, member).state, choice, member)
    assert done.state is None and done.replies[0].text.startswith("C'est réservé")
    [new] = [b for b in upcoming(database, member) if b.id not in before]
    return new


def upcoming(database: Any, member: Member = MEMBER) -> list[Booking]:
    return BookingStore(database).upcoming_for_member(member.number, NOW)


# --- Booking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("modality", "choice"), [("video", "plage 1"), ("1", "1"), ("vidéo", "plage 1")])
def test_a_member_books_the_first_slot_offered(database: Any, modality: str, choice: str) -> None:
    started = start("consultation", desk(database))
    assert started.replies[0].text == "Prenons rendez-vous. Comment préférez-vous consulter?"
    assert started.replies[0].choices == (("Vidéo", "video"), ("Téléphone", "telephone"), ("Clavardage", "clavardage"))
    assert started.state == FlowState("modalite", "consultation")

    asked = answer(database, started.state, modality)
    assert asked.state is not None and (asked.state.step, asked.state.modality) == ("quand", "video")
    assert asked.replies[0].text.startswith("Quand vous conviendrait?") and not asked.replies[0].choices

    offer = answer(database, asked.state, "demain matin")
    assert offer.replies[0].text == "Voici les prochaines plages libres. Laquelle choisissez-vous?"
    assert offer.replies[0].choices == (
        (f"{TUESDAY_9}, un médecin", "plage 1"),
        ("mardi 24 novembre à 9 h 15, un médecin", "plage 2"),
        ("mardi 24 novembre à 9 h 30, un médecin", "plage 3"),
        ("Autres plages", "autres plages"),
    )

    done = answer(database, offer.state, choice)
    assert done.state is None and len(done.replies) == 1
    assert done.replies[0].text == (
        f"C'est réservé: {TUESDAY_9}, en vidéo avec un médecin. "
        "Vous recevrez le lien de la vidéo par texto 15 minutes avant. "
        "Rappels la veille et 1 h avant. Pour annuler ou changer: écrivez « mes rendez-vous »."
    )
    [booking] = upcoming(database)
    assert booking.start == datetime(2026, 11, 24, 9, 0, tzinfo=QUEBEC)
    assert (booking.modality, booking.need, booking.clinician_type) == ("video", "consultation", "medecin")
    assert booking.summary == {"motif": "verrue"} and booking.conversation == MEMBER.conversation
    assert BookingStore(database).taken(booking.slot_id)
    assert confirmation(booking, desk(database)) == done.replies[0].text


def test_a_member_books_in_english(database: Any) -> None:
    started = start("consultation", desk(database, language="en"))
    assert started.replies[0].text == "Let's book an appointment. How would you like to consult?"
    assert titles(started) == ["Video", "Phone", "Chat"]
    asked = answer(database, started.state, "video", language="en")
    assert asked.replies[0].text.startswith("When would suit you?")
    offer = answer(database, asked.state, "tomorrow morning", language="en")
    assert offer.replies[0].text == "Here are the next free times. Which one do you choose?"
    assert titles(offer) == [
        "Tuesday, November 24 at 9 a.m., a doctor",
        "Tuesday, November 24 at 9:15 a.m., a doctor",
        "Tuesday, November 24 at 9:30 a.m., a doctor",
        "Other times",
    ]
    more = answer(database, offer.state, "Other times", language="en")
    assert slots_offered(more)[0] == "Tuesday, November 24 at 9:45 a.m., a doctor"
    done = answer(database, more.state, "1", language="en")
    assert done.state is None
    assert done.replies[0].text == (
        "You're booked: Tuesday, November 24 at 9:45 a.m., by video with a doctor. "
        "You will get the video link by text 15 minutes before. "
        "Reminders the day before and 1 hour before. To cancel or change: write 'my appointments'."
    )
    [booking] = upcoming(database)
    assert booking.start == datetime(2026, 11, 24, 9, 45, tzinfo=QUEBEC)


def test_an_english_member_can_say_another_time_instead_of_a_slot(database: Any) -> None:
    offer = ask_slots(database, "tomorrow morning", language="en")
    other = answer(database, offer.state, "thursday afternoon", language="en")
    assert slots_offered(other) == [
        "Thursday, November 26 at 1 p.m., a doctor",
        "Thursday, November 26 at 1:15 p.m., a doctor",
        "Thursday, November 26 at 1:30 p.m., a doctor",
    ]


def test_a_time_with_nothing_free_offers_the_next_free_slots(database: Any) -> None:
    offer = ask_slots(database, "demain soir")  # the doctor works mornings only on Tuesday
    assert offer.replies[0].text == (
        "Rien de libre à ce moment-là. Voici les prochaines plages libres. Laquelle choisissez-vous?"
    )
    assert slots_offered(offer) == [
        f"{WEDNESDAY_9}, un médecin",
        "mercredi 25 novembre à 9 h 15, un médecin",
        "mercredi 25 novembre à 9 h 30, un médecin",
    ]


def test_a_time_with_nothing_free_in_english(database: Any) -> None:
    offer = ask_slots(database, "tomorrow evening", language="en")
    assert offer.replies[0].text.startswith("Nothing is free at that time. Here are the next free times.")
    assert slots_offered(offer)[0] == "Wednesday, November 25 at 9 a.m., a doctor"


@pytest.mark.parametrize("more", ["Autres plages", "autres plages", "4", "une autre plage"])
def test_more_slots_continue_after_the_last_one_offered(database: Any, more: str) -> None:
    first = ask_slots(database, "n'importe quand")
    assert slots_offered(first) == [
        f"{TUESDAY_9}, un médecin",
        "mardi 24 novembre à 9 h 15, un médecin",
        "mardi 24 novembre à 9 h 30, un médecin",
    ]
    second = answer(database, first.state, more)
    assert second.replies[0].text == "Voici les prochaines plages libres. Laquelle choisissez-vous?"
    assert slots_offered(second) == [
        "mardi 24 novembre à 9 h 45, un médecin",
        f"{WEDNESDAY_9}, un médecin",
        "mercredi 25 novembre à 9 h 15, un médecin",
    ]
    assert [payload for _, payload in second.replies[0].choices] == ["plage 1", "plage 2", "plage 3", "autres plages"]
    third = answer(database, second.state, more)
    assert slots_offered(third)[0] == "mercredi 25 novembre à 9 h 30, un médecin"
    done = answer(database, second.state, "2")  # a number counts in the offer it answers
    assert done.replies[0].text.startswith(f"C'est réservé: {WEDNESDAY_9},")
    [booking] = upcoming(database)
    assert booking.start == datetime(2026, 11, 25, 9, 0, tzinfo=QUEBEC)


def test_autres_plages_is_the_number_after_the_last_slot_when_fewer_are_offered(database: Any) -> None:
    book(database, "jeudi vers 14 h", "1", member=OTHER)
    book(database, "jeudi vers 14 h", "1", member=OTHER)
    offer = ask_slots(database, "jeudi vers 14 h")  # 13 h 30 and 13 h 45 are taken: two slots left
    assert titles(offer) == [
        "jeudi 26 novembre à 14 h, un médecin",
        "jeudi 26 novembre à 14 h 15, un médecin",
        "Autres plages",
    ]
    more = answer(database, offer.state, "3")
    assert slots_offered(more)[0] == "vendredi 27 novembre à 9 h, un médecin"
    assert upcoming(database) == []


def test_no_free_slot_at_all_ends_the_flow_with_the_coop_phone(database: Any) -> None:
    started = start("consultation", desk(database))
    asked = answer(database, started.state, "2")  # Téléphone: the doctor only sees members by video
    assert asked.state is not None and asked.state.modality == "telephone"
    none = answer(database, asked.state, "demain matin")
    assert none.state is None
    assert [r.text for r in none.replies] == [
        "Aucune plage libre dans les 30 prochains jours. Appelez la coop au 819 555-0100."
    ]


def test_another_time_at_the_choice_offers_that_time(database: Any) -> None:
    offer = ask_slots(database, "demain matin")
    other = answer(database, offer.state, "plutôt jeudi après-midi")
    assert other.state is not None and other.state.step == "choix"
    assert slots_offered(other) == [
        "jeudi 26 novembre à 13 h, un médecin",
        "jeudi 26 novembre à 13 h 15, un médecin",
        "jeudi 26 novembre à 13 h 30, un médecin",
    ]


def test_a_message_that_is_not_an_answer_keeps_the_flow_where_it_was(database: Any) -> None:
    started = start("consultation", desk(database))
    asked = answer(database, started.state, "video")
    offer = answer(database, asked.state, "demain matin")
    cases = [
        (started.state, ["j'ai mal à la tête", "c'est combien?", "7", "merci"]),
        (asked.state, ["j'ai mal à la tête", "pourquoi?", "merci"]),
        (offer.state, ["merci", "c'est combien?", "9", "plage 7"]),
    ]
    for state, messages in cases:
        for text in messages:
            result = step(kept(state), text, MEMBER, desk(database))
            assert not result.answered, (state, text)
            assert result.replies == [] and result.state == state, (state, text)
    assert upcoming(database) == []


def test_the_question_is_asked_again_after_a_digression(database: Any) -> None:
    started = start("consultation", desk(database))
    asked = answer(database, started.state, "video")
    offer = answer(database, asked.state, "demain matin")
    assert reask(kept(started.state), desk(database)) == started.replies[0]
    assert reask(kept(asked.state), desk(database)) == asked.replies[0]
    again = reask(kept(offer.state), desk(database))
    assert again.text == "Quelle plage choisissez-vous?" and again.choices == offer.replies[0].choices
    assert reask(kept(offer.state), desk(database, language="en")).text == "Which time do you choose?"


def test_a_slot_taken_meanwhile_offers_the_nearest_free_ones_in_the_time_asked(database: Any) -> None:
    offer = ask_slots(database, "jeudi après-midi")
    assert slots_offered(offer)[0] == "jeudi 26 novembre à 13 h, un médecin"
    taken = book(database, "jeudi après-midi", "1", member=OTHER)  # the same first slot, chosen first
    assert taken.start == datetime(2026, 11, 26, 13, 0, tzinfo=QUEBEC)

    retry = answer(database, offer.state, "1")
    assert retry.replies[0].text == (
        "Cette plage vient d'être prise. Voici les prochaines plages libres. Laquelle choisissez-vous?"
    )
    assert slots_offered(retry) == [  # still Thursday afternoon, nearest first; not Tuesday morning
        "jeudi 26 novembre à 13 h 15, un médecin",
        "jeudi 26 novembre à 13 h 30, un médecin",
        "jeudi 26 novembre à 13 h 45, un médecin",
    ]
    assert upcoming(database) == []
    done = answer(database, retry.state, "1")
    assert done.replies[0].text.startswith("C'est réservé: jeudi 26 novembre à 13 h 15,")
    [mine] = upcoming(database)
    assert mine.start == datetime(2026, 11, 26, 13, 15, tzinfo=QUEBEC)
    assert [b.id for b in upcoming(database, OTHER)] == [taken.id]


def test_a_slot_taken_with_nothing_left_in_the_time_asked_offers_the_next_ones(database: Any) -> None:
    offer = ask_slots(database, "jeudi vers 14 h")  # 13 h 30 to 15 h: 13 h 30, 13 h 45, 14 h, 14 h 15
    assert slots_offered(offer)[0] == "jeudi 26 novembre à 13 h 30, un médecin"
    for _ in range(4):  # someone else takes all four, one after the other
        book(database, "jeudi vers 14 h", "1", member=OTHER)
    retry = answer(database, offer.state, "1")
    assert retry.replies[0].text.startswith("Cette plage vient d'être prise. Rien de libre à ce moment-là.")
    assert slots_offered(retry)[0] == "vendredi 27 novembre à 9 h, un médecin"


# --- Listing, cancelling, moving ----------------------------------------------------------------


def test_listing_with_no_booking(database: Any) -> None:
    shown = listing(MEMBER, desk(database))
    assert shown.state is None and [r.text for r in shown.replies] == ["Vous n'avez aucun rendez-vous à venir."]
    english = listing(MEMBER, desk(database, language="en"))
    assert english.replies[0].text == "You have no upcoming appointments."


def test_one_booking_asks_what_to_do_with_it(database: Any) -> None:
    booking = book(database)
    shown = listing(MEMBER, desk(database))
    assert shown.replies[0].text == f"Votre rendez-vous: {TUESDAY_9}, vidéo, un médecin. Que voulez-vous faire?"
    assert shown.replies[0].choices == (("Annuler", "annuler"), ("Changer", "changer"), ("Le garder", "garder"))
    assert shown.state is not None and (shown.state.step, shown.state.offered) == ("action", [booking.id])

    for keep in ("3", "garder"):
        kept_it = answer(database, shown.state, keep)
        assert kept_it.state is None and kept_it.replies[0].text == "Parfait, on garde ce rendez-vous."
    for move in ("2", "changer"):
        moving = answer(database, shown.state, move)
        assert moving.state is not None and (moving.state.step, moving.state.moving) == ("quand", booking.id)
        assert moving.replies[0].text.startswith(f"Changeons le rendez-vous du {TUESDAY_9}. Quand vous conviendrait?")
    assert [b.id for b in upcoming(database)] == [booking.id]

    cancelled = answer(database, shown.state, "1")
    assert cancelled.state is None and cancelled.replies[0].text == f"C'est annulé: {TUESDAY_9}, vidéo, un médecin."
    assert upcoming(database) == [] and not BookingStore(database).taken(booking.slot_id)
    assert BookingStore(database).get(booking.id).status == "annule"  # type: ignore[union-attr]


def test_a_member_asks_to_cancel_or_move_their_only_booking(database: Any) -> None:
    booking = book(database)
    moving = listing(MEMBER, desk(database), "changer")
    assert moving.state is not None and (moving.state.step, moving.state.moving) == ("quand", booking.id)
    assert moving.replies[0].text.startswith(f"Changeons le rendez-vous du {TUESDAY_9}.")
    assert [b.id for b in upcoming(database)] == [booking.id]
    cancelled = listing(MEMBER, desk(database), "annuler")
    assert cancelled.state is None and cancelled.replies[0].text == f"C'est annulé: {TUESDAY_9}, vidéo, un médecin."
    assert upcoming(database) == []


def test_two_bookings_are_two_numbered_choices(database: Any) -> None:
    first = book(database, "demain matin")
    second = book(database, "mercredi matin")
    shown = listing(MEMBER, desk(database))
    reply = shown.replies[0]
    assert reply.text == "Vos rendez-vous à venir. Lequel voulez-vous voir?"
    assert reply.choices == (
        (f"{TUESDAY_9}, vidéo, un médecin", "rdv 1"),
        (f"{WEDNESDAY_9}, vidéo, un médecin", "rdv 2"),
    )
    assert shown.state is not None and (shown.state.step, shown.state.offered) == ("liste", [first.id, second.id])
    # The text names no booking and numbers nothing: by SMS the choices are the message's only numbers.
    assert not re.search(r"\d", reply.text)
    sms = with_choices(reply.text, [title for title, _ in reply.choices])
    assert re.findall(r"^(\d+)\. ", sms, flags=re.M) == ["1", "2"] and sms.endswith("Répondez 1 ou 2.")

    english = listing(MEMBER, desk(database, language="en"))
    assert english.replies[0].text == "Your upcoming appointments. Which one do you want to see?"
    assert [title for title, _ in english.replies[0].choices] == [
        "Tuesday, November 24 at 9 a.m., video, a doctor",
        "Wednesday, November 25 at 9 a.m., video, a doctor",
    ]


@pytest.mark.parametrize("pick", ["2", "rdv 2"])
def test_a_booking_chosen_by_its_number_then_cancelled_with_1(database: Any, pick: str) -> None:
    first = book(database, "demain matin")
    second = book(database, "mercredi matin")
    shown = listing(MEMBER, desk(database))
    chosen = answer(database, shown.state, pick)
    assert chosen.state is not None and (chosen.state.step, chosen.state.offered) == ("action", [second.id])
    assert chosen.replies[0].text == f"Votre rendez-vous: {WEDNESDAY_9}, vidéo, un médecin. Que voulez-vous faire?"
    assert [payload for _, payload in chosen.replies[0].choices] == ["annuler", "changer", "garder"]
    cancelled = answer(database, chosen.state, "1")
    assert cancelled.state is None and cancelled.replies[0].text == f"C'est annulé: {WEDNESDAY_9}, vidéo, un médecin."
    assert [b.id for b in upcoming(database)] == [first.id]


def test_cancel_2_acts_on_the_second_booking_at_once(database: Any) -> None:
    first = book(database, "demain matin")
    second = book(database, "mercredi matin")
    shown = listing(MEMBER, desk(database))
    done = answer(database, shown.state, "annuler 2")
    assert done.state is None and done.replies[0].text == f"C'est annulé: {WEDNESDAY_9}, vidéo, un médecin."
    assert [b.id for b in upcoming(database)] == [first.id]
    assert not BookingStore(database).taken(second.slot_id)


def test_which_one_to_cancel_then_its_number(database: Any) -> None:
    first = book(database, "demain matin")
    book(database, "mercredi matin")
    asked = listing(MEMBER, desk(database), "annuler")
    assert asked.replies[0].text == "Lequel voulez-vous annuler?" and len(asked.replies[0].choices) == 2
    done = answer(database, asked.state, "2")
    assert done.state is None and done.replies[0].text.startswith(f"C'est annulé: {WEDNESDAY_9}")
    assert [b.id for b in upcoming(database)] == [first.id]
    assert listing(MEMBER, desk(database), "changer").replies[0].text.startswith("Changeons")  # one left


def test_a_message_that_is_not_an_answer_about_the_bookings(database: Any) -> None:
    book(database, "demain matin")
    book(database, "mercredi matin")
    shown = listing(MEMBER, desk(database))
    chosen = answer(database, shown.state, "1")
    for state, text in ((shown.state, "3"), (shown.state, "merci"), (chosen.state, "merci"), (chosen.state, "7")):
        result = step(kept(state), text, MEMBER, desk(database))
        assert not result.answered and result.state == state and result.replies == [], (state, text)
    assert len(upcoming(database)) == 2


def test_moving_a_booking_cancels_the_old_one_once_the_new_one_is_confirmed(database: Any) -> None:
    old = book(database)
    shown = listing(MEMBER, desk(database))
    moving = answer(database, shown.state, "changer")
    offer = answer(database, moving.state, "mercredi matin")
    assert offer.state is not None and offer.state.moving == old.id
    assert slots_offered(offer)[0] == f"{WEDNESDAY_9}, un médecin"
    assert [b.id for b in upcoming(database)] == [old.id]  # nothing changes before the choice
    done = answer(database, offer.state, "1")
    assert done.state is None
    assert done.replies[0].text.startswith(f"C'est réservé: {WEDNESDAY_9}, en vidéo avec un médecin.")
    assert done.replies[1].text == f"L'ancien rendez-vous du {TUESDAY_9} est annulé."
    [moved] = upcoming(database)
    assert moved.start == datetime(2026, 11, 25, 9, 0, tzinfo=QUEBEC) and moved.modality == old.modality
    assert not BookingStore(database).taken(old.slot_id)
    assert BookingStore(database).get(old.id).status == "annule"  # type: ignore[union-attr]


def test_too_late_to_cancel_or_move_by_message(database: Any) -> None:
    booking = book(database)
    deadline = RULES.cancel_deadline(MEMBER.coop)  # content/booking.yml: cancel_until_hours
    assert deadline == timedelta(hours=2)
    too_late = "Il est trop tard pour le faire par message (moins de 2 h avant). Appelez la coop au 819 555-0100."
    late = booking.start - deadline + timedelta(minutes=30)
    for request in ("annuler", "changer"):
        result = listing(MEMBER, desk(database, late), request)
        assert result.state is None and [r.text for r in result.replies] == [too_late]
    shown = listing(MEMBER, desk(database, late))
    for action in ("1", "2"):
        refused = answer(database, shown.state, action, now=late)
        assert refused.state is None and refused.replies[0].text == too_late
    english = listing(MEMBER, desk(database, late, "en"), "annuler")
    assert english.replies[0].text == (
        "It is too late to do it by message (less than 2 hours before). Please call the coop at 819 555-0100."
    )
    assert [b.id for b in upcoming(database)] == [booking.id]
    in_time = booking.start - deadline - timedelta(minutes=1)
    assert listing(MEMBER, desk(database, in_time), "annuler").replies[0].text.startswith("C'est annulé")
    assert upcoming(database) == []


def test_cancel_in_answer_to_a_reminder(database: Any) -> None:
    booking = book(database)
    done = cancel_reminded(booking, desk(database, booking.start - timedelta(hours=24)))
    assert done.state is None and done.replies[0].text == f"C'est annulé: {TUESDAY_9}, vidéo, un médecin."
    assert upcoming(database) == [] and not BookingStore(database).taken(booking.slot_id)


def test_cancel_in_answer_to_the_last_reminder_is_too_late(database: Any) -> None:
    booking = book(database)
    refused = cancel_reminded(booking, desk(database, booking.start - timedelta(hours=1)))
    assert refused.replies[0].text.startswith("Il est trop tard") and "819 555-0100" in refused.replies[0].text
    assert [b.id for b in upcoming(database)] == [booking.id]


def test_reminders_in_the_members_language(database: Any) -> None:
    booking = book(database)
    assert booking_message(CONTENT, "rdv.rappel_veille", booking, "fr") == (
        f"Rappel: rendez-vous {TUESDAY_9}, en vidéo avec un médecin. "
        "Vous recevrez le lien de la vidéo par texto 15 minutes avant. Pour annuler, répondez ANNULER."
    )
    assert booking_message(CONTENT, "rdv.rappel_heure", booking, "en") == (
        "Reminder: your appointment is in 1 hour (Tuesday, November 24 at 9 a.m.), by video with a doctor. "
        "Can't make it? Call the coop at 819 555-0100."
    )


# --- What a message asks --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "about_bookings", "new"),
    [
        ("mes rendez-vous", "lister", False),
        ("mes rdv", "lister", False),
        ("c'est quand mon rendez-vous?", "lister", False),
        ("my appointments", "lister", False),
        ("when is my appointment?", "lister", False),
        ("annuler mon rdv", "annuler", False),
        ("je veux annuler mon rendez-vous", "annuler", False),
        ("I want to cancel my appointment", "annuler", False),
        ("est-ce que je peux déplacer mon rendez-vous", "changer", False),
        ("can I reschedule my appointment?", "changer", False),
        ("je veux un rendez-vous", None, True),
        ("je voudrais prendre un rendez-vous", None, True),
        ("book an appointment", None, True),
        ("I need an appointment", None, True),
        ("j'ai mal au ventre", None, False),
        ("my stomach hurts", None, False),
    ],
)
def test_what_a_message_asks_about_appointments(text: str, about_bookings: str | None, new: bool) -> None:
    assert wants(text) == about_bookings
    assert wants_new(text) is new


@pytest.mark.parametrize(
    ("text", "about_bookings"),
    [
        ("je veux changer mon rendez-vous", "changer"),
        ("I need to reschedule my appointment", "changer"),
        ("je veux voir mes rendez-vous", "lister"),
    ],
)
def test_a_wish_to_change_or_see_a_booking_is_not_a_new_booking(text: str, about_bookings: str) -> None:
    assert (wants(text), wants_new(text)) == (about_bookings, False)


def test_d_autres_plages_asks_for_more_slots(database: Any) -> None:
    offer = ask_slots(database, "n'importe quand")
    assert answer(database, offer.state, "d'autres plages?").answered


def test_the_title_le_garder_typed_keeps_the_booking(database: Any) -> None:
    book(database)
    shown = listing(MEMBER, desk(database))
    assert answer(database, shown.state, "Le garder").replies[0].text == "Parfait, on garde ce rendez-vous."


def test_a_moved_booking_keeps_what_the_member_told_the_clinician(database: Any) -> None:
    old = book(database)
    # While the member manages bookings, the conversation's request holds no reason for consulting.
    managing = desk(database, summary={"langue": "fr"})
    moving = step(kept(listing(MEMBER, managing).state), "changer", MEMBER, managing)
    offer = step(kept(moving.state), "mercredi matin", MEMBER, managing)
    step(kept(offer.state), "1", MEMBER, managing)
    [moved] = upcoming(database)
    assert moved.id != old.id and moved.summary.get("motif") == "verrue"


# --- Calendar -----------------------------------------------------------------------------------


def test_a_booking_as_an_ics_file_behind_a_key(database: Any, redis_client: Any) -> None:
    from bot.booking.ics import booking_ics, key_matches, link_key

    booking = book(database)
    ics = booking_ics(booking, RULES, "Coop Val-Morin")
    assert "BEGIN:VEVENT" in ics and "DTSTART:20261124T140000Z" in ics and ics.endswith("END:VCALENDAR\r\n")
    key = link_key(redis_client, booking.id)
    assert key_matches(redis_client, booking.id, key) and not key_matches(redis_client, booking.id, "0" * 32)
