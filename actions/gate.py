"""The membership gate before anything clinical: consent, identity, then membership status.

`action_porte` decides the next step and writes it in the slot `etape_porte`; the triage policy
then runs the matching form (consent, identity, summary) or waits. Emergencies never pass
through here: the triage reply comes first and needs no membership.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.data_rights import perform_data_request
from actions.resources import (
    consent_notice,
    consent_store,
    content,
    coop_id,
    registry,
    sms_sender,
    verifier,
    web_identities,
)
from bot.verification import eligibility, phone_of_sender

LOCKED = "verrouille"
IDENTITY_SLOTS = ("numero_membre", "date_naissance", "code_verification")


def channel_of(tracker: Tracker) -> str:
    return "sms" if phone_of_sender(tracker.sender_id) else "web"


def step(name: str, *extra: EventType) -> list[EventType]:
    return [SlotSet("etape_porte", name), *extra]


class ActionPorte(Action):
    def name(self) -> str:
        return "action_porte"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        member_number = tracker.get_slot("membre")
        if not member_number:
            # A coop site where the member is logged in vouched for them (bot/web_identity.py).
            vouched = web_identities().member(tracker.sender_id)
            if vouched and registry().get(vouched):
                return [SlotSet("membre", vouched), *self.next_step(dispatcher, tracker, vouched)]
        return self.next_step(dispatcher, tracker, member_number)

    def next_step(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, member_number: str | None
    ) -> list[EventType]:
        sender = tracker.sender_id
        phone = content().coop(coop_id(tracker)).phone
        pending = tracker.get_slot("demande_donnees")

        if not pending:  # exercising one's data rights needs identity, not consent
            answer = tracker.get_slot("consentement")
            notice = consent_notice()
            store = consent_store()
            if answer is False:
                store.record(sender, notice, channel_of(tracker), accepted=False)
                dispatcher.utter_message(text=notice.declined)
                return step("fin", SlotSet("consentement", None))
            if not store.current(sender, notice):
                if answer is not True:
                    return step("consentement")
                store.record(sender, notice, channel_of(tracker), accepted=True)

        if not member_number:
            if LOCKED in (tracker.get_slot("date_naissance"), tracker.get_slot("code_verification")):
                return step("fin", *(SlotSet(s, None) for s in IDENTITY_SLOTS))
            return step("identite", *(SlotSet(s, None) for s in IDENTITY_SLOTS))

        if pending:
            if str(pending).startswith("rdv_"):  # bookings: list, cancel or move, once identified
                from actions.booking import perform_booking_request

                done = perform_booking_request(str(pending)[4:], dispatcher, tracker)
            else:
                done = perform_data_request(pending, dispatcher, tracker)
            return step("fin", SlotSet("demande_donnees", None), *done)

        member = registry().get(member_number)
        status = eligibility(member) if member else "expire"
        if status != "ok":
            dispatcher.utter_message(response=f"utter_statut_{status}", coop_telephone=phone)
            return step("fin")
        return step("motif")


class ActionAskConsentement(Action):
    """The consent question, in the words of content/consent.yml."""

    def name(self) -> str:
        return "action_ask_consentement"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(
            text=consent_notice().notice,
            buttons=[{"title": "Oui", "payload": "/affirmer"}, {"title": "Non", "payload": "/nier"}],
        )
        return []


class ValidateFormulaireIdentite(FormValidationAction):
    """By SMS the sender's phone names the candidates and the date of birth picks one; on the
    web, member number and date of birth, then a code sent to the phone on file. The typed date
    is never kept: the slot holds only how the check went."""

    def name(self) -> str:
        return "validate_formulaire_identite"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if phone_of_sender(tracker.sender_id):
            return ["date_naissance"]
        return list(IDENTITY_SLOTS)

    def validate_numero_membre(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = str(value or "").strip().upper()[:30]
        return {"numero_membre": number or None}

    def validate_date_naissance(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        typed = str(value or "")
        phone = phone_of_sender(tracker.sender_id)
        coop_phone = content().coop(coop_id(tracker)).phone
        if phone:
            outcome = verifier().by_sms(phone, typed)
        else:
            outcome, code = verifier().start_web(tracker.sender_id, str(tracker.get_slot("numero_membre") or ""), typed)
            if code and outcome.member:
                # The answer stays the same whether or not the text went out: it must not tell who is a member.
                member_coop = content().coop(outcome.member.coop)
                sms_sender().send(
                    outcome.member.phone,
                    f"Coop santé: votre code est {code}. Il expire dans 10 minutes.",
                    from_number=member_coop.sms_number or None,
                )
        if outcome.status == "verified" and outcome.member:
            dispatcher.utter_message(response="utter_verifie", prenom=outcome.member.first_name)
            return {"date_naissance": "ok", "membre": outcome.member.number}
        if outcome.status == "code_sent":
            return {"date_naissance": "ok"}
        if outcome.status == "locked":
            dispatcher.utter_message(response="utter_verrouille", coop_telephone=coop_phone)
            return {"date_naissance": LOCKED}
        dispatcher.utter_message(
            response="utter_pas_une_date" if outcome.status == "not_a_date" else "utter_identite_refusee"
        )
        return {"date_naissance": None}

    def validate_code_verification(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        number = str(tracker.get_slot("numero_membre") or "")
        outcome = verifier().finish_web(tracker.sender_id, number, str(value or ""))
        if outcome.status == "verified" and outcome.member:
            dispatcher.utter_message(response="utter_verifie", prenom=outcome.member.first_name)
            return {"code_verification": "ok", "membre": outcome.member.number}
        if outcome.status == "locked":
            coop_phone = content().coop(coop_id(tracker)).phone
            dispatcher.utter_message(response="utter_verrouille", coop_telephone=coop_phone)
            return {"code_verification": LOCKED}
        if outcome.status == "failed":
            dispatcher.utter_message(response="utter_code_refuse")
            return {"code_verification": None}
        dispatcher.utter_message(response="utter_identite_refusee")  # no valid code: start again
        return {"code_verification": None, "date_naissance": None, "numero_membre": None}
