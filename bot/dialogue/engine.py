"""One conversation turn, in plain Python: the member's message in, the bot's replies out.

Order of precedence, every turn:
1. An emergency (911, crise, urgence), from this message or the request it belongs to, gets its
   answer first, whatever was going on; a form or a booking in progress is dropped.
2. While a clinician has the member, messages go to the ticket (ANNULER cancels).
3. A question the bot asked waits for its answer: a real answer moves the flow on; another
   question gets its answer and the flow's question again; "annuler", "laisse faire" or "menu"
   leave; two off-topic answers in a row, and the flow lets go.
4. Otherwise: a personal request (my bookings, my data), a need for care (a clinician, a booking),
   or a question the bot answers itself; when unsure, the likeliest topics as choices.

Care and personal requests go through one gate: consent (health data only), identity, membership
status, then the short summary for the clinician (for whom, age, since when).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from bot.answers import Match
from bot.booking import flow as booking_flow
from bot.booking.store import Booking, BookingStatus
from bot.content import Answer
from bot.dialogue import words
from bot.dialogue.model import Flow, FlowName, Goal, IdentityStep, Inbound, Outcome, Reply, Request, State, SummaryStep
from bot.dialogue.services import Services
from bot.handoff.desk import Ticket, TicketStatus, new_ticket_id
from bot.membership.birthdate import parse_birth_date
from bot.membership.members import Member
from bot.membership.verification import eligibility, phone_of_sender
from bot.platform.language import ENGLISH, FRENCH, detect
from bot.records.privacy import data_summary
from bot.triage.dispositions import is_emergency

CARE = ("clinicien", "consultation")
HEALTH_GOALS = (Goal.HANDOFF, Goal.BOOKING)  # clinical requests: they go through consent, identity and status
ANSWER_THRESHOLD = 0.45  # the answer finder must be at least this sure to answer by itself,
CLEAR_LEAD = (0.22, 0.06)  # or at least this sure with this lead over the next topic (fifty topics share)
SELF_CARE_OVER_TRIAGE = 0.40  # a self-care topic this sure answers what only the classifier sent to a professional
CHOICES_SHOWN = 3
BOOKING_TOPICS = ("rendez_vous", "annulation_politique")  # questions that answer the booking flow itself
ACTS = {  # Rasa NLU intents that are dialogue acts, with the confidence they need
    "saluer": 0.6,
    "remercier": 0.6,
    "au_revoir": 0.6,
    "pourquoi": 0.6,
    "demander_humain": 0.6,
    "donnees_voir": 0.7,
    "donnees_effacer": 0.7,
    "prendre_rendez_vous": 0.6,
    "mes_rendez_vous": 0.7,
}


class Assistant:
    def __init__(self, services: Services) -> None:
        self.services = services

    def turn(self, state: State, message: Inbound) -> Outcome:
        return _Turn(self.services, state, message).run()


class _Turn:
    def __init__(self, services: Services, state: State, message: Inbound) -> None:
        self.s = services
        self.state = state
        self.m = message
        self.replies: list[Reply] = []
        self.outcome = Outcome([], state)
        self.member_number = message.member
        self.lang = detect(message.text, state.language)
        state.language = self.lang

    # ------------------------------------------------------------------ helpers
    def say(self, key: str, **values: Any) -> str:
        return self.s.content.say(key, self.lang, self.m.coop, **values)

    def reply(self, key: str, choices: tuple[tuple[str, str], ...] = (), urgent: str = "", **values: Any) -> None:
        self.replies.append(Reply(self.say(key, **values), choices, urgent))

    def done(self) -> Outcome:
        self.outcome.replies = self.replies
        self.outcome.state = self.state
        return self.outcome

    @property
    def channel(self) -> str:
        if self.m.channel == "voice":  # a call: identified by its phone like SMS, reached back by SMS
            return "voice"
        return "sms" if phone_of_sender(self.m.sender) else ("web" if self.m.channel == "web" else self.m.channel)

    def end_request(self) -> None:
        self.state.end_request()
        self.outcome.end_episode = True

    def let_go(self) -> None:
        """Leave the request's form but not its triage episode: the member who declined consent or
        left a form is often still describing the same problem ("non" / "pas de fièvre, pas enceinte")."""
        self.state.end_request()

    # ------------------------------------------------------------------ the turn
    def run(self) -> Outcome:
        triage = self.m.triage
        if self.m.handoff:
            return self.relay()
        if (
            self.state.request
            and self.state.request.goal == Goal.HANDOFF
            and self.state.flow
            and self.state.flow.name == FlowName.WAITING
        ):
            self.end_request()  # the clinician closed the ticket (the console cleared `relais`): a new request now
        if is_emergency(triage.disposition) and self.emergency():
            return self.done()
        if self.state.flow is not None and self.continue_flow():
            return self.done()
        self.route()
        return self.done()

    # ------------------------------------------------------------------ 1. emergencies
    def emergency(self) -> bool:
        """Answer an emergency; True when nothing else should happen in this turn."""
        triage = self.m.triage
        level = triage.disposition
        new = self.state.warned != level or is_emergency(triage.message)
        if not new:
            return False  # told already, and this message adds nothing urgent: answer it as usual, below
        self.emergency_reply(level, triage.record)
        self.state.flow = None
        self.state.request = None
        self.state.warned = level
        if level == "urgence" and self.s.handoff.on_duty(self.s.content.coop(self.m.coop).id) > 0:
            # A clinician on duty can take an urgent case too, after the advice above.
            self.reply("relais.propose")
            self.start_request(Goal.HANDOFF, "urgence", announce=False)
        return True

    def emergency_reply(self, level: str, record: dict[str, Any]) -> None:
        self.reply(f"triage.{level}", urgent=level)
        for resource in record.get("ressources") or []:
            if not (resource == "ligne_crise" and level == "crise"):  # the crisis answer gives the line already
                self.reply(f"ressources.{resource}", urgent=level)
        young = {"ado", "enfant"} & set(record.get("modificateurs") or [])
        if level == "crise" and young:
            self.reply("ressources.tel_jeunes", urgent=level)

    # ------------------------------------------------------------------ 2. the clinician has the member
    def relay(self) -> Outcome:
        ticket = self.s.handoff.get(self.m.handoff)
        if ticket is None or ticket.status == TicketStatus.CLOSED:
            self.outcome.handoff = ""
            self.end_request()
            return self.run_without_handoff()
        triage = self.m.triage
        if is_emergency(triage.message) or (
            is_emergency(triage.disposition) and self.state.warned != triage.disposition
        ):
            self.emergency_reply(
                triage.disposition if is_emergency(triage.disposition) else triage.message, triage.record
            )
            self.state.warned = triage.disposition
            self.s.handoff.member_said(ticket.id, self.m.text, emergency=True)
            return self.done()
        if words.wants_to_leave(self.m.text) or words.said(self.m.text) in ("annuler", "annule", "cancel"):
            self.s.handoff.close(ticket.id, "annule", "membre")
            self.reply("relais.annule")
            self.outcome.handoff = ""
            self.end_request()
            return self.done()
        self.s.handoff.member_said(ticket.id, self.m.text, emergency=False)
        return self.done()

    def run_without_handoff(self) -> Outcome:
        self.m = replace(self.m, handoff="")
        return self.run()

    # ------------------------------------------------------------------ 3. a question waits for its answer
    def continue_flow(self) -> bool:
        flow = self.state.flow
        assert flow is not None
        if words.wants_to_leave(self.m.text):
            self.reply("flux.quitte")
            self.end_request()
            return True
        request = self.state.request
        act = self.act()
        if act in (Goal.SEE_DATA, Goal.ERASE_DATA) and (request is None or request.goal != act):
            self.let_go()  # a data-rights request is never an answer to a form: it goes its own way
            return False
        handlers: dict[str, Callable[[Flow], bool]] = {
            FlowName.RED_FLAGS: self.flow_red_flags,
            FlowName.CONSENT: self.flow_consent,
            FlowName.IDENTITY: self.flow_identity,
            FlowName.SUMMARY: self.flow_summary,
            FlowName.BOOKING: self.flow_booking,
            FlowName.MY_BOOKINGS: self.flow_bookings,
        }
        handler = handlers.get(flow.name)
        if handler is None:
            self.state.flow = None
            return False
        return handler(flow)

    def digress(self, flow: Flow, hint: str = "") -> bool:
        """A message that does not answer the flow's question: answer it if the bot can, then ask again."""
        if self.answer_aside():
            flow.off_topic += 1
            if flow.off_topic >= 2:
                self.reply("flux.laisse")
                self.let_go()
            else:
                self.reask(flow, again=True)
            return True
        flow.misses += 1
        if flow.misses >= 3:
            self.reply("flux.laisse")
            self.let_go()
            return True
        if hint:
            self.reply(hint)
        self.reask(flow, again=bool(not hint))
        return True

    def answer_aside(self) -> bool:
        """Answer a side question (a topic, my bookings, why, thanks) without leaving the flow."""
        act = self.act()
        if act == "pourquoi":
            self.explain()
            return True
        if act in ("saluer", "remercier", "au_revoir"):
            self.answer(act)
            return True
        if booking_flow.wants(self.m.text) == booking_flow.BookingRequest.LIST and self.member_number:
            member = self.booking_member()
            if member is not None:
                shown = booking_flow.listing(member, self.desk())
                self.replies.extend(shown.replies[:1])
                return True
        match = self.best_topic()
        if match is not None and words.looks_like_question(self.m.text):
            self.answer(match)
            return True
        return False

    def reask(self, flow: Flow, again: bool = False) -> None:
        prefix = self.say("flux.pour_continuer") + " " if again else ""
        if flow.name == FlowName.RED_FLAGS:
            self.ask_red_flags(prefix)
        elif flow.name == FlowName.CONSENT:
            self.ask_consent(prefix)
        elif flow.name == FlowName.IDENTITY:
            self.ask_identity(flow.step, prefix)
        elif flow.name == FlowName.SUMMARY:
            self.ask_summary(flow.step, prefix)
        elif flow.name in (FlowName.BOOKING, FlowName.MY_BOOKINGS):
            state = booking_flow.FlowState.from_slot(flow.data)
            if state is not None:
                question = booking_flow.reask(state, self.desk())
                self.replies.append(replace(question, text=prefix + question.text))

    # --- red-flag question
    def ask_red_flags(self, prefix: str = "") -> None:
        self.replies.append(Reply(prefix + self.say("alarme.question"), self.yes_no()))

    def flow_red_flags(self, flow: Flow) -> bool:
        if words.is_yes(self.m.text):
            self.reply("triage.911", urgent="911")
            self.outcome.raised_to = "911"
            self.state.flow = None
            self.state.request = None
            self.state.warned = "911"
            return True
        if words.is_no(self.m.text):
            self.state.flow = None
            self.reply("alarme.merci")
            self.advance()
            return True
        return self.digress(flow, "alarme.oui_ou_non")

    # --- consent
    def ask_consent(self, prefix: str = "") -> None:
        self.replies.append(Reply(prefix + self.s.consent_notice.text(self.lang), self.yes_no()))

    def flow_consent(self, flow: Flow) -> bool:
        if words.is_yes(self.m.text) or self.act_is("affirmer"):
            self.s.consents.record(self.m.sender, self.s.consent_notice, self.channel, accepted=True)
            self.state.flow = None
            self.advance()
            return True
        if words.is_no(self.m.text) or self.act_is("nier"):
            self.s.consents.record(self.m.sender, self.s.consent_notice, self.channel, accepted=False)
            self.replies.append(Reply(self.s.consent_notice.declined_text(self.lang)))
            self.let_go()
            return True
        return self.digress(flow, "consentement.oui_ou_non")

    # --- identity
    def identity_steps(self) -> tuple[IdentityStep, ...]:
        if phone_of_sender(self.m.sender):
            return (IdentityStep.BIRTH_DATE,)
        return IdentityStep.NUMBER, IdentityStep.BIRTH_DATE, IdentityStep.CODE

    def ask_identity(self, step: str, prefix: str = "") -> None:
        self.replies.append(Reply(prefix + self.say(IdentityStep(step).prompt)))

    def flow_identity(self, flow: Flow) -> bool:
        verifier = self.s.verifier
        text = self.m.text
        if flow.step == IdentityStep.NUMBER:
            number = words.member_number(text)
            if number is None:
                return self.digress(flow, "identite.pas_un_numero")
            flow.data["numero"] = number
            flow.step, flow.misses, flow.off_topic = IdentityStep.BIRTH_DATE, 0, 0
            self.ask_identity(IdentityStep.BIRTH_DATE)
            return True
        if flow.step in (IdentityStep.BIRTH_DATE, IdentityStep.FIRST_NAME):
            if flow.step == IdentityStep.BIRTH_DATE and not parse_birth_date(text):
                return self.digress(flow, "identite.pas_une_date")
            phone = phone_of_sender(self.m.sender)
            if phone:
                first_name = flow.step == IdentityStep.FIRST_NAME
                typed = flow.data.get("date", text) if first_name else text
                outcome = verifier.by_sms(phone, typed, first_name=text if first_name else None)
                if outcome.status == "ask_first_name":
                    flow.data["date"] = text
                    flow.step = IdentityStep.FIRST_NAME
                    self.ask_identity(IdentityStep.FIRST_NAME)
                    return True
            else:
                outcome, delivery = verifier.start_web(self.m.sender, str(flow.data.get("numero", "")), text)
                if outcome.status == "code_sent":
                    if delivery:  # send_code texts it in the background: a match answers as fast as a miss
                        member_coop = self.s.content.coop(delivery.coop).id
                        self.s.send_code(delivery.phone, self.say("identite.sms_code", code=delivery.code), member_coop)
                    flow.step, flow.misses, flow.off_topic = IdentityStep.CODE, 0, 0
                    self.ask_identity(IdentityStep.CODE)
                    return True
            return self.identity_outcome(flow, outcome.status, outcome.member)
        if flow.step == IdentityStep.CODE:
            typed = words.code(text)
            if typed is None:
                return self.digress(flow, "identite.pas_un_code")
            outcome = verifier.finish_web(self.m.sender, typed)
            if outcome.status == "expired":
                self.reply("identite.code_expire")
                flow.step, flow.data = IdentityStep.NUMBER, {}
                self.ask_identity(IdentityStep.NUMBER)
                return True
            return self.identity_outcome(flow, outcome.status, outcome.member)
        return False

    def identity_outcome(self, flow: Flow, status: str, member: Member | None) -> bool:
        if status == "verified" and member is not None:
            self.member_number = member.number
            self.outcome.member = member.number
            self.reply("identite.verifiee", prenom=member.first_name)
            self.state.flow = None
            self.advance()
            return True
        if status == "locked":
            self.reply("identite.verrouillee")
            self.end_request()
            return True
        flow.misses += 1
        if flow.misses >= 3:
            self.reply("identite.refusee_appeler")
            self.end_request()
            return True
        if flow.step == IdentityStep.CODE:
            self.reply("identite.code_refuse")
        else:
            self.reply("identite.refusee")
            if not phone_of_sender(self.m.sender):
                flow.step, flow.data = IdentityStep.NUMBER, {}
            self.ask_identity(flow.step)
        return True

    # --- summary for the clinician
    def ask_summary(self, step: str, prefix: str = "") -> None:
        if step == SummaryStep.FOR_WHOM:
            choices = (
                (self.say("motif.choix_moi"), "pour moi"),
                (self.say("motif.choix_enfant"), "pour un enfant"),
                (self.say("motif.choix_autre"), "pour une autre personne"),
            )
            self.replies.append(Reply(prefix + self.say("motif.pour_qui"), choices))
        elif step == SummaryStep.AGE:
            key = "motif.age_enfant" if self.state.request and self.state.request.for_whom == "enfant" else "motif.age"
            self.replies.append(Reply(prefix + self.say(key)))
        else:
            self.replies.append(Reply(prefix + self.say("motif.depuis")))

    def flow_summary(self, flow: Flow) -> bool:
        request = self.state.request
        assert request is not None
        if flow.step == SummaryStep.FOR_WHOM:
            whom = words.for_whom(self.m.text)
            if whom is None:
                return self.digress(flow)
            request.for_whom = whom
            flow.step = SummaryStep.SINCE if whom == "moi" else SummaryStep.AGE
        elif flow.step == SummaryStep.AGE:
            age = words.age(self.m.text)
            if age is None:
                return self.digress(flow, "motif.pas_un_age")
            request.age = age
            flow.step = SummaryStep.SINCE
        else:
            since = words.since(self.m.text)
            if since is None:
                return self.digress(flow, "motif.pas_un_moment")
            request.since = since
            self.state.flow = None
            self.advance()
            return True
        flow.misses = flow.off_topic = 0
        self.ask_summary(flow.step)
        return True

    # --- booking
    def desk(self) -> booking_flow.Desk:
        summary = {}
        if self.state.request:
            request = self.state.request
            summary = {"besoin": request.need, "motif": request.complaint, "pour_qui": request.for_whom,
                       "age": request.age, "depuis_quand": request.since, "langue": self.lang}  # fmt: skip
        return booking_flow.Desk(
            self.s.booking_rules,
            self.s.availability,
            self.s.bookings,
            self.s.now(),
            lambda key, **values: self.say(key, **values),
            self.lang,
            {k: v for k, v in summary.items() if v},
        )

    def booking_member(self) -> booking_flow.Member | None:
        found = self.s.registry.get(self.member_number) if self.member_number else None
        if found is None:
            return None
        coop = self.s.content.coop(found.coop if found.coop in self.s.content.coops else self.m.coop)
        name = f"{found.first_name} {found.last_name}"
        return booking_flow.Member(found.number, name, coop.id, coop.phone, self.m.sender, self.channel)

    def flow_booking(self, flow: Flow) -> bool:
        return self.booking_step(flow, booking_flow.step)

    def flow_bookings(self, flow: Flow) -> bool:
        member = self.booking_member()
        state = booking_flow.FlowState.from_slot(flow.data)
        if member is None or state is None:
            self.state.flow = None
            return False
        result = booking_flow.step(state, self.m.text, member, self.desk())
        if not result.answered:
            self.state.flow = None  # the list is not a trap: anything else is handled as usual
            self.end_request()
            return False
        self.after_booking_step(result)
        return True

    def booking_step(self, flow: Flow, stepper: Any) -> bool:
        member = self.booking_member()
        state = booking_flow.FlowState.from_slot(flow.data)
        if member is None or state is None:
            self.state.flow = None
            return False
        if booking_flow.wants(self.m.text) == booking_flow.BookingRequest.LIST and self.answer_aside():
            flow.off_topic += 1
            self.reask(flow, again=True)
            return True
        if words.looks_like_question(self.m.text) and self.best_topic() not in (None, *BOOKING_TOPICS):
            return self.digress(flow)  # "vos heures samedi?" names a day, but asks about the coop
        result = stepper(state, self.m.text, member, self.desk())
        if not result.answered:
            return self.digress(flow, "rdv.pas_compris")
        self.after_booking_step(result)
        return True

    def after_booking_step(self, result: booking_flow.Step) -> None:
        self.replies.extend(result.replies)
        if result.state is None:
            if self.channel == "web":
                self.calendar_link()
            self.end_request()
        else:
            managing = result.state.step in (booking_flow.BookingStep.LIST, booking_flow.BookingStep.ACTION)
            name = FlowName.MY_BOOKINGS if managing else FlowName.BOOKING
            self.state.flow = Flow(name, result.state.step, result.state.to_slot())

    def calendar_link(self) -> None:
        if self.s.ics_link is None or not self.member_number:
            return
        desk = self.desk()
        upcoming = desk.store.upcoming_for_member(self.member_number, desk.now)
        if not upcoming:
            return
        newest: Booking = max(upcoming, key=lambda b: b.created)
        if newest.conversation == self.m.sender and desk.now.timestamp() - newest.created < 120:
            self.reply("rdv.calendrier", lien=self.s.ics_link(newest.id))

    # ------------------------------------------------------------------ 4. what the member wants
    def act(self) -> str:
        """The dialogue act of the message: its words when they leave no doubt, else a confident NLU intent."""
        by_words = words.act_of(self.m.text)
        if by_words:
            return by_words
        threshold = ACTS.get(self.m.intent)
        return self.m.intent if threshold is not None and self.m.intent_confidence >= threshold else ""

    def act_is(self, intent: str) -> bool:
        return self.m.intent == intent and self.m.intent_confidence >= 0.6

    def route(self) -> None:
        triage = self.m.triage
        text = self.m.text
        act = self.act()
        offered = self.offered_choice()
        if offered:
            self.choose_offered(offered)
            return
        if act == "pourquoi":
            self.explain()
            return
        if act in (Goal.SEE_DATA, Goal.ERASE_DATA):  # the intents are named after their goals
            self.start_request(Goal(act), "", announce=False)
            return
        bookings = booking_flow.wants(text)
        if bookings is not None or act == "mes_rendez_vous":
            if bookings in (None, booking_flow.BookingRequest.LIST) and self.answer_coop_question():
                return  # "ma carte soleil est expirée, je peux venir à mon rendez-vous?": a question, not a list
            self.answer_booking_question()
            self.start_request(
                Goal.MY_BOOKINGS, "", announce=False, bookings=bookings or booking_flow.BookingRequest.LIST
            )
            return
        if words.said(text) in ("annuler", "annule", "cancel") and self.cancel_reminded():
            return
        need = triage.disposition if triage.disposition in CARE else ""
        asked = "demande_personne" in triage.said
        if act == "demander_humain" or asked:
            self.start_request(Goal.HANDOFF, "clinicien", announce=need == "clinicien" and not asked)
            return
        if need:
            topic = self.answer_for_care(need)
            if topic is not None:
                self.answer(topic)  # "je fais quoi?", "comment renouveler?": the answer, then the person
                self.offer_care(need)
                return
            goal = Goal.HANDOFF if need == "clinicien" else Goal.BOOKING
            bare = goal == Goal.BOOKING and set(triage.said) <= {"demande_consultation"}
            # "je voudrais un rendez-vous, comment je fais?": how, then the flow; a bare request to book
            # needs no "this deserves a consultation" after the ways to book.
            answered = goal == Goal.BOOKING and self.answer_booking_question(bare_request=bare)
            self.start_request(goal, need, announce=not (bare and answered))
            return
        if act == "prendre_rendez_vous" or booking_flow.wants_new(text):
            topic = self.best_topic() or ""
            entry = self.own_answer(topic)
            if entry is not None and words.asks(text):
                self.answer(topic)  # "faut-tu un rdv pour le vaccin?": the vaccine's answer says how
                return
            if entry is not None and entry.kind == "coop":
                self.answer(topic)  # "renouv prescription svp": the coop's way, then a booking if wanted
                self.offer_care("consultation")
                return
            self.answer_booking_question()
            self.start_request(Goal.BOOKING, need or "consultation", announce=False)
            return
        if act in ("saluer", "remercier", "au_revoir"):
            self.answer(act)
            self.remind_emergency()
            return
        match = self.best_topic()
        if match is not None:
            self.answer(match)
            self.remind_emergency()
            return
        self.fallback()

    def remind_emergency(self) -> None:
        level = self.state.warned
        if is_emergency(level):
            self.reply(f"rappel.{level}")  # a reminder, not the answer itself: an SMS opt-out holds it back

    def best_topic(self) -> str | None:
        ranked = self.s.answers.rank(self.m.text)
        return ranked[0].topic if ranked and sure_enough(ranked) else None

    def answer_booking_question(self, bare_request: bool = False) -> bool:
        """ "Y a-t-il des frais si j'annule?", "how do I book?": the answer, before the flow itself. A bare
        request to book ("je voudrais un rdv pour un suivi") gets it too: the in-person way is in it.
        True when answered."""
        topic = self.best_topic() if bare_request or words.asks(self.m.text) else None
        if topic in BOOKING_TOPICS:
            self.answer(str(topic))
            return True
        return False

    def own_answer(self, topic: str) -> Answer | None:
        """The content answer of a topic that is neither the booking flow's own nor off-topic."""
        return self.s.content.answers.get(topic) if topic not in (*BOOKING_TOPICS, "hors_sujet") else None

    def answer_coop_question(self) -> bool:
        """Answer a question about the coop that only mentions the member's bookings; False if it is not one."""
        topic = (self.best_topic() if words.asks(self.m.text) else None) or ""
        entry = self.own_answer(topic)
        if entry is None or entry.kind != "coop":
            return False
        self.answer(topic)
        return True

    def answer_for_care(self, need: str) -> str | None:
        """The answer to give before offering a professional, when the member asked a question the bot
        can answer ("mon gars a mal à l'oreille, je fais quoi?", "comment renouveler ma prescription?"),
        or when only the classifier sent a minor problem to a professional. None: go to the professional."""
        ranked = self.s.answers.rank(self.m.text)
        if not ranked or ranked[0].topic in (*BOOKING_TOPICS, "hors_sujet"):
            return None
        entry = self.s.content.answers.get(ranked[0].topic)
        if entry is None:
            return None
        by_classifier = self.m.triage.source != "constat"
        if by_classifier and entry.kind == "soins" and ranked[0].score >= SELF_CARE_OVER_TRIAGE:
            return ranked[0].topic
        if sure_enough(ranked) and (by_classifier or words.asks(self.m.text)):
            return ranked[0].topic
        return None

    def offer_care(self, need: str) -> None:
        """A way to the professional the triage asked for, as one choice after the answer."""
        action = "personne" if need == "clinicien" else "rdv"
        self.reply(f"offre.{action}", ((self.say(f"offre.choix_{action}"), action),))
        self.state.offered = [action]

    def answer(self, topic: str) -> None:
        self.outcome.topic = topic
        if topic == "hors_sujet":
            self.reply("repondre.hors_sujet")
            return
        text = self.s.content.answer(topic, self.lang, self.m.coop)
        if text is None:
            self.outcome.topic = ""
            self.fallback()
            return
        self.replies.append(Reply(text))
        self.state.misunderstood = 0
        self.state.offered = []

    def offered_choice(self) -> str | None:
        if not self.state.offered:
            return None
        picked = words.number(self.m.text)
        said = words.said(self.m.text)
        for i, topic in enumerate(self.state.offered, start=1):
            label = self.s.content.label(topic, self.lang) if topic in self.s.content.answers else topic
            if picked == i or said in (topic, words.said(label)):
                return topic
        if self.state.offered in (["personne"], ["rdv"]):
            return self.state.offered[0] if words.is_yes(self.m.text) else None
        if picked == len(self.state.offered) + 1 or said == "personne":
            return "personne"
        return None

    def choose_offered(self, topic: str) -> None:
        self.state.offered = []
        if topic == "personne":
            self.start_request(Goal.HANDOFF, "clinicien", announce=False)
        elif topic == "rdv":
            self.start_request(Goal.BOOKING, "consultation", announce=False)
        else:
            self.answer(topic)

    def fallback(self) -> None:
        self.outcome.fallback = True
        self.state.misunderstood += 1
        if self.state.misunderstood >= 2:
            self.state.misunderstood = 0
            self.reply("incompris.relais")
            self.start_request(Goal.HANDOFF, "clinicien", announce=False, reason={"source": "incompris"})
            return
        ranked = [m for m in self.s.answers.rank(self.m.text, CHOICES_SHOWN) if m.topic in self.s.content.answers]
        topics = [m.topic for m in ranked][:CHOICES_SHOWN]
        choices = tuple((self.s.content.label(t, self.lang), t) for t in topics)
        choices += ((self.say("incompris.personne"), "personne"),)
        self.state.offered = topics
        self.reply("incompris.choix", choices)

    def explain(self) -> None:
        record = self.m.previous_reason
        if not record:
            self.reply("explication.rien")
            return
        parts = []
        findings = self.s.labels(record.get("constats") or [], self.lang)
        if findings:
            parts.append(self.say("explication.constats", constats="; ".join(findings)))
        elif record.get("source") == "classifieur":
            parts.append(self.say("explication.classifieur"))
        if record.get("hausse_par"):
            parts.append(self.say("explication.prudence"))
        level = str(record.get("disposition") or "info")
        parts.append(self.say(f"explication.niveau_{level}"))
        self.replies.append(Reply(" ".join(parts)))

    def cancel_reminded(self) -> bool:
        """ANNULER in answer to a reminder cancels the booking that reminder was about."""
        booking_id = self.s.reminders.booking_for(self.m.sender)
        booking = self.s.bookings.get(booking_id) if booking_id else None
        if booking is None or booking.conversation != self.m.sender or booking.status != BookingStatus.CONFIRMED:
            return False
        result = booking_flow.cancel_reminded(booking, self.desk())
        self.replies.extend(result.replies)
        return True

    # ------------------------------------------------------------------ requests and the gate
    def start_request(
        self, goal: Goal, need: str, announce: bool, bookings: str = "", reason: dict[str, Any] | None = None
    ) -> None:
        """A new need: it replaces whatever request was open (its answers do not carry over)."""
        triage = self.m.triage
        self.state.flow = None
        self.state.request = Request(
            goal=goal,
            need=need,
            reason=reason if reason is not None else dict(triage.record),
            complaint=self.m.text[:500] if goal in HEALTH_GOALS else "",
            bookings=bookings,
        )
        self.outcome.end_episode = False
        if announce and need in CARE:
            self.reply(f"triage.{need}")
        if goal in HEALTH_GOALS and triage.ask_red_flags and not self.state.request.red_flags_asked:
            self.state.request.red_flags_asked = True
            self.state.flow = Flow(FlowName.RED_FLAGS)
            self.ask_red_flags()
            return
        if goal in (Goal.MY_BOOKINGS, Goal.SEE_DATA, Goal.ERASE_DATA) and not self.member_number:
            self.reply("identite.avant_personnel")
        self.advance()

    def advance(self) -> None:
        """The next step of the request: consent, identity, status, summary, then what was asked."""
        request = self.state.request
        if request is None:
            return
        health = request.goal in HEALTH_GOALS
        if health and not self.s.consents.current(self.m.sender, self.s.consent_notice):
            self.state.flow = Flow(FlowName.CONSENT)
            self.ask_consent()
            return
        if not self.member_number:
            vouched = self.s.vouched_member(self.m.sender) if self.channel == "web" else None
            if vouched and self.s.registry.get(vouched):
                self.member_number = vouched
                self.outcome.member = vouched
            else:
                first = self.identity_steps()[0]
                self.state.flow = Flow(FlowName.IDENTITY, first)
                self.ask_identity(first)
                return
        member = self.s.registry.get(self.member_number)
        if member is None:
            self.reply("identite.refusee_appeler")
            self.end_request()
            return
        if health:
            status = eligibility(member)
            if status != "ok":
                self.reply(f"statut.{status}")
                self.end_request()
                return
            if not request.for_whom:
                self.state.flow = Flow(FlowName.SUMMARY, SummaryStep.FOR_WHOM)
                self.ask_summary(SummaryStep.FOR_WHOM)
                return
            if request.for_whom != "moi" and not request.age:
                self.state.flow = Flow(FlowName.SUMMARY, SummaryStep.AGE)
                self.ask_summary(SummaryStep.AGE)
                return
            if not request.since:
                self.state.flow = Flow(FlowName.SUMMARY, SummaryStep.SINCE)
                self.ask_summary(SummaryStep.SINCE)
                return
        self.fulfil(member)

    def fulfil(self, member: Member) -> None:
        request = self.state.request
        assert request is not None
        if request.goal == Goal.HANDOFF:
            self.open_ticket(member)
        elif request.goal == Goal.BOOKING:
            self.reply("motif.recu")
            result = booking_flow.start(request.need if request.need in CARE else "consultation", self.desk())
            self.after_booking_step(result)
        elif request.goal == Goal.MY_BOOKINGS:
            booking_member = self.booking_member()
            # A request stored before `bookings` carried it in its reason, as "demande".
            detail = request.bookings or str(request.reason.get("demande") or booking_flow.BookingRequest.LIST)
            if booking_member is not None:
                self.after_booking_step(booking_flow.listing(booking_member, self.desk(), detail))
        elif request.goal == Goal.SEE_DATA:
            holdings = self.s.data_rights.holdings(self.m.sender, member, self.m.now)
            self.replies.append(Reply(data_summary(member, holdings, self.s.retention_days, self.say)))
            self.end_request()
        elif request.goal == Goal.ERASE_DATA:
            self.s.data_rights.erase(self.m.sender, member)
            self.reply("donnees.effacees")
            self.outcome.erase = True
            self.outcome.member = ""
            self.end_request()

    def open_ticket(self, member: Member) -> None:
        request = self.state.request
        assert request is not None
        summary = {
            "motif": request.complaint,
            "pour_qui": {"moi": "le membre", "enfant": "un enfant", "autre": "une autre personne"}.get(
                request.for_whom, "non précisé"
            ),
            "depuis_quand": request.since or "non précisé",
            "age": request.age
            or (str(_age(member.birth_date)) + " ans" if request.for_whom == "moi" else "non précisé"),
            "langue": "anglais" if self.lang == ENGLISH else "français",
        }
        reasons = [str(r) for r in request.reason.get("constats") or []] or [str(request.reason.get("source") or "")]
        desk = self.s.handoff
        ticket = desk.open(
            Ticket(
                id=new_ticket_id(),
                conversation=self.m.sender,
                channel=self.channel,
                coop=self.s.content.coop(self.m.coop).id,
                disposition=request.need or "clinicien",
                reasons=reasons,
                summary=summary,
                member_number=member.number,
                member_name=f"{member.first_name} {member.last_name}",
            )
        )
        if desk.on_duty(ticket.coop):
            self.reply("relais.ouvert")
        else:
            self.reply("relais.personne")
            desk.mark_wait_notice(ticket.id)
        self.outcome.handoff = ticket.id
        self.state.flow = Flow(FlowName.WAITING)

    def yes_no(self) -> tuple[tuple[str, str], ...]:
        return ((self.say("commun.oui"), "oui"), (self.say("commun.non"), "non"))


def _age(born: date, today: date | None = None) -> int:
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def sure_enough(ranked: list[Match]) -> bool:
    """Whether the likeliest topic is sure enough to answer without asking which one."""
    best = ranked[0].score
    lead = best - (ranked[1].score if len(ranked) > 1 else 0.0)
    return best >= ANSWER_THRESHOLD or (best >= CLEAR_LEAD[0] and lead >= CLEAR_LEAD[1])


__all__ = ["FRENCH", "Assistant"]
