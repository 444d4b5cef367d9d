"""The booking conversation in plain Python, against a real Redis: book, list, cancel, move, deadlines."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.availability import QUEBEC, Availability, Block, load_rules
from bot.booking_flow import Desk, FlowState, Member, listing, manage, start, step, wants
from bot.bookings import BookingStore

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules(ROOT / "content")
NOW = datetime(2026, 11, 23, 10, 15, tzinfo=QUEBEC)  # a Monday morning
MEMBER = Member("VM-000101", "Gisèle Tremblay", "val-morin", "819 555-0100", "+18195550101", "sms")


def desk(redis_client: Any, now: datetime = NOW) -> Desk:
    availability = Availability(redis_client)
    if availability.empty():
        for day in range(1, 8):
            start_at = (NOW + timedelta(days=day)).replace(hour=9, minute=0)
            availability.add(
                [Block("dre@coop.example", "medecin", "val-morin", ("video",), start_at, start_at.replace(hour=10))]
            )
    return Desk(RULES, availability, BookingStore(redis_client), now, {"motif": "verrue"})


def book(redis_client: Any, when: str = "demain matin") -> str:
    replies, started = start("consultation")
    state: FlowState | None = started
    assert [title for title, _ in replies[0].buttons] == ["Vidéo", "Téléphone", "Clavardage"]
    assert state is not None
    replies, state = step(state, "video", MEMBER, desk(redis_client))
    assert state is not None and state.step == "quand"
    replies, state = step(state, when, MEMBER, desk(redis_client))
    assert state is not None and state.step == "choix"
    assert len(replies[0].buttons) == 4 and replies[0].buttons[-1][0] == "Autres plages"
    replies, state = step(state, "plage 1", MEMBER, desk(redis_client))
    assert state is None
    return replies[0].text


def test_a_member_books_the_first_slot_offered(redis_client: Any) -> None:
    text = book(redis_client)
    assert text.startswith("C'est réservé: mardi 24 novembre à 9 h, en vidéo avec un médecin.")
    [booking] = BookingStore(redis_client).upcoming_for_member("VM-000101", NOW)
    assert booking.summary == {"motif": "verrue"} and booking.conversation == MEMBER.conversation


def test_a_time_with_nothing_free_offers_the_next_free_slots(redis_client: Any) -> None:
    state: FlowState | None = start("consultation")[1]
    assert state is not None
    _, state = step(state, "1", MEMBER, desk(redis_client))  # "1" is Vidéo, as an SMS member answers
    assert state is not None
    replies, state = step(state, "demain soir", MEMBER, desk(redis_client))
    assert replies[0].text.startswith("Rien de libre à ce moment-là.") and state is not None


def test_more_slots_on_request_and_a_taken_slot_is_offered_again(redis_client: Any) -> None:
    state: FlowState | None = start("consultation")[1]
    assert state is not None
    _, state = step(state, "video", MEMBER, desk(redis_client))
    assert state is not None
    first, state = step(state, "n'importe quand", MEMBER, desk(redis_client))
    assert state is not None
    more, state = step(state, "autres plages", MEMBER, desk(redis_client))
    assert state is not None and more[0].buttons[0] != first[0].buttons[0]
    other = Member("VM-000102", "Autre", "val-morin", "819 555-0100", "+18195550102", "sms")
    taken_id = state.offered[0]
    _, other_state = step(FlowState("choix", offered=[taken_id], modality="video"), "1", other, desk(redis_client))
    replies, state = step(state, "1", MEMBER, desk(redis_client))
    assert replies[0].text.startswith("Cette plage vient d'être prise.") and state is not None


def test_list_cancel_and_move(redis_client: Any) -> None:
    book(redis_client)
    replies, listed = listing(MEMBER, desk(redis_client))
    state: FlowState | None = listed
    assert "mardi 24 novembre à 9 h" in replies[0].text and state is not None
    replies, state = step(state, "changer", MEMBER, desk(redis_client))
    assert state is not None and state.moving
    _, state = step(state, "mercredi matin", MEMBER, desk(redis_client))
    assert state is not None
    replies, state = step(state, "1", MEMBER, desk(redis_client))
    assert "mercredi 25 novembre" in replies[0].text and "est annulé" in replies[1].text
    [moved] = BookingStore(redis_client).upcoming_for_member("VM-000101", NOW)
    replies, state = manage("annuler", MEMBER, desk(redis_client))
    assert replies[0].text.startswith("C'est annulé") and state is None
    assert BookingStore(redis_client).upcoming_for_member("VM-000101", NOW) == []
    assert not BookingStore(redis_client).taken(moved.slot_id)


def test_too_late_to_cancel_by_message(redis_client: Any) -> None:
    book(redis_client)
    just_before = datetime(2026, 11, 24, 8, 0, tzinfo=QUEBEC)  # one hour before, deadline is 2 h
    replies, _ = manage("annuler", MEMBER, desk(redis_client, just_before))
    assert "trop tard" in replies[0].text and "819 555-0100" in replies[0].text


def test_the_member_can_give_up_during_the_flow(redis_client: Any) -> None:
    state: FlowState | None = start("consultation")[1]
    assert state is not None
    replies, state = step(state, "annuler", MEMBER, desk(redis_client))
    assert state is None and "pas de rendez-vous" in replies[0].text


def test_what_is_about_bookings() -> None:
    assert wants("c'est quand mon rendez-vous?") == "lister"
    assert wants("mes rdv") == "lister"
    assert wants("je veux annuler mon rendez-vous") == "annuler"
    assert wants("est-ce que je peux déplacer mon rendez-vous") == "changer"
    assert wants("je voudrais prendre un rendez-vous") is None
    assert wants("j'ai mal au ventre") is None


def test_a_booking_as_an_ics_file_behind_a_key(redis_client: Any) -> None:
    from bot.ics import booking_ics, key_matches, link_key

    book(redis_client)
    [booking] = BookingStore(redis_client).upcoming_for_member("VM-000101", NOW)
    ics = booking_ics(booking, RULES, "Coop Val-Morin")
    assert "BEGIN:VEVENT" in ics and "DTSTART:20261124T140000Z" in ics and ics.endswith("END:VCALENDAR\r\n")
    key = link_key(redis_client, booking.id)
    assert key_matches(redis_client, booking.id, key) and not key_matches(redis_client, booking.id, "0" * 32)
