"""The phone line: Twilio Voice webhooks in, TwiML out, the same bot behind.

POST /webhooks/voice/webhook          a call comes in (signed with X-Twilio-Signature): the greeting
POST /webhooks/voice/ecoute?t=N       the caller's answer N (SpeechResult or Digits): the bot's answer, said
POST /webhooks/voice/transfert?t=N    how a transfer went (DialCallStatus)
GET  /webhooks/voice/                 whether the line is configured

Each answer is given at once, as TwiML (Twilio waits for it): the bot's messages for the turn are
collected, then said. One call is one conversation, "<caller's phone>~<CallSid>", so the SMS
identity path (phone and date of birth) works; the coop is the one whose `voix` number was called.
A webhook Twilio sends again (same call, same answer number) gets the same TwiML and reaches the
bot once. What the caller's words mean and what the line does next are decided in bot/voice/call.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import cached_property
from typing import Any

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.tracker_store import TrackerStore
from redis.asyncio import Redis as AsyncRedis
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.booking.availability import QUEBEC
from bot.booking.store import BookingStore
from bot.content import Content, Coop
from bot.dialogue.slots import Slot
from bot.handoff.desk import HandoffDesk
from bot.membership.verification import call_sender
from bot.platform.settings import load_settings
from bot.sms.conversation import BotMessage, write_turn
from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from bot.voice import call as voice_call
from bot.voice import twiml as voice_twiml
from bot.voice.call import Call, Plan
from bot.voice.speech import Ear, VoiceTexts, load_voice_texts
from channels import resources
from channels.twilio_webhook import TwilioWebhook

log = logging.getLogger(__name__)

CALL_KEY = "coopsante:voix:appel:"  # the call's state (bot/voice/call.py `Call`), by CallSid
ANSWER_KEY = "coopsante:voix:reponse:"  # the TwiML given to answer N of a call, for Twilio's retries
CALL_SECONDS = 4 * 3600  # longer than any call
REPLAY_WAIT_SECONDS = 10.0  # a retry that arrives while the first is still being answered waits for it


class VoiceTurnCollector(OutputChannel):
    """Gathers one turn's bot messages, with what bot/dialogue marked on them (emergency, language)."""

    def __init__(self) -> None:
        self.messages: list[BotMessage] = []
        self.levels: list[str] = []  # each message's emergency level (911, crise, urgence) or ""

    @classmethod
    def name(cls) -> str:
        return "voice"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(BotMessage.from_rasa(message))
        self.levels.append(str(message.get("urgence") or ""))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.messages.append(BotMessage(text))
        self.levels.append("")


class VoiceInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "voice"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TwilioSettings.from_env())

    def __init__(self, settings: TwilioSettings) -> None:
        self.settings = settings
        self.webhook = TwilioWebhook(settings, "voice", "Ligne téléphonique non configurée sur ce serveur.")
        if not settings.configured:
            log.warning("voice.off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sending number to turn it on")

    @property
    def redis(self) -> redis.Redis[str]:
        """For work done in threads."""
        return resources.redis_client()

    @property
    def live(self) -> AsyncRedis[str]:
        """For the handlers, on the event loop."""
        return resources.live_redis()

    @property
    def content(self) -> Content:
        return resources.content()

    @cached_property
    def texts(self) -> VoiceTexts:
        return load_voice_texts(load_settings().content_dir, self.content)

    @cached_property
    def ear(self) -> Ear:
        return Ear(self.texts, self.content)

    @cached_property
    def sender(self) -> SmsSender:
        return SmsSender(self.settings, OptOuts(self.redis))

    def url(self, path: str) -> str:
        """An address of this channel for TwiML: absolute behind a proxy, so Twilio signs what we check."""
        return f"{self.settings.public_base_url}{path}"

    def coop_called(self, number: str) -> Coop:
        """The coop whose phone line was called (`voix` in coops.yml), else the default coop."""
        found = next((c for c in self.content.coops.values() if number and c.values.get("voix") == number), None)
        return found or self.content.coop(None)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        voice = Blueprint("voice_webhook", __name__)

        @voice.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.configured else "off"})

        @voice.route("/webhook", methods=["POST"])
        async def incoming(request: Request) -> HTTPResponse:
            form = self.webhook.signed_form(request)
            if isinstance(form, HTTPResponse):
                return form
            sid, phone = form.get("CallSid", ""), form.get("From", "")
            if not (sid and phone):
                return response.text("CallSid et From sont requis.", status=400)
            call = await self._load(sid) or Call(sid, phone, self.coop_called(form.get("To", "")).id)
            return await self._answer(call, voice_call.greeting(call, self.ear, self._coop(call)))

        @voice.route("/ecoute", methods=["POST"])
        async def answer(request: Request) -> HTTPResponse:
            return await self._once(request, lambda call, form: self._heard(call, form, request, on_new_message))

        @voice.route("/transfert", methods=["POST"])
        async def transferred(request: Request) -> HTTPResponse:
            return await self._once(request, self._transferred)

        return voice

    # --- HTTP and the call's state ---------------------------------------------------------------

    async def _once(self, request: Request, handle: Callable[[Call, dict[str, str]], Awaitable[Plan]]) -> HTTPResponse:
        """Answer N of a call is handled once; Twilio's retry of it gets the TwiML given the first time."""
        form = self.webhook.signed_form(request)
        if isinstance(form, HTTPResponse):
            return form
        sid, turn = form.get("CallSid", ""), request.args.get("t", "")
        call = await self._load(sid) if sid else None
        if call is None or not turn.isdigit():
            return response.text("Appel inconnu.", status=404)
        key = f"{ANSWER_KEY}{sid}:{turn}"
        if not await self.live.set(key, "", nx=True, ex=CALL_SECONDS):
            log.info("voice.retry sid=%s turn=%s", sid, turn)
            given = await self._given(key)
            return _twiml(given or self._render(call, voice_call.repeat(call, self.ear, self._coop(call))))
        try:
            plan = await handle(call, form)
        except Exception:
            log.exception("voice.handling_failed sid=%s", sid)  # the caller hears an apology, never a trace
            plan = voice_call.trouble(call.language, self.ear, self._coop(call))
        twiml = self._render(call, plan)
        await self.live.set(key, twiml, ex=CALL_SECONDS)
        await self._save(call)
        return _twiml(twiml)

    async def _given(self, key: str) -> str:
        deadline = asyncio.get_running_loop().time() + REPLAY_WAIT_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            given = await self.live.get(key)
            if given:
                return given
            await asyncio.sleep(0.1)
        return ""

    async def _answer(self, call: Call, plan: Plan) -> HTTPResponse:
        twiml = self._render(call, plan)
        await self._save(call)
        return _twiml(twiml)

    def _render(self, call: Call, plan: Plan) -> str:
        """The plan as TwiML; the next answer Twilio posts carries the next number."""
        call.turn += 1
        voice = self.texts.voice(call.language)
        if plan.then == "raccrocher":
            return voice_twiml.hang_up(plan.lines, voice)
        if plan.then == "transferer":
            action = self.url(f"/webhooks/voice/transfert?t={call.turn}")
            caller_id = self._coop(call).values.get("voix", "")
            return voice_twiml.transfer(plan.lines, voice, voice_twiml.Transfer(plan.number, action, caller_id))
        action = self.url(f"/webhooks/voice/ecoute?t={call.turn}")
        hints = self.texts.hints.get(call.language, "")
        return voice_twiml.listen(plan.lines, voice, voice_twiml.Listen(action, hints, plan.one_key))

    async def _load(self, sid: str) -> Call | None:
        raw = await self.live.get(CALL_KEY + sid)
        return Call.from_json(raw) if raw else None

    async def _save(self, call: Call) -> None:
        await self.live.set(CALL_KEY + call.sid, call.to_json(), ex=CALL_SECONDS)

    def _coop(self, call: Call) -> Coop:
        return self.content.coop(call.coop)

    # --- what the caller said ----------------------------------------------------------------------

    async def _heard(
        self,
        call: Call,
        form: dict[str, str],
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Plan:
        coop = self._coop(call)
        speech = form.get("SpeechResult") if "SpeechResult" in form else None
        heard = voice_call.hear(call, speech, form.get("Digits", ""))
        if heard.kind in ("silence", "incompris"):
            return voice_call.on_silence(call, heard, self.ear, coop)
        call.silences = 0
        if heard.kind == "repeter":
            return voice_call.repeat(call, self.ear, coop)
        if heard.kind == "arreter":
            return voice_call.goodbye(call, self.ear, coop)
        if heard.kind == "anglais":
            return voice_call.to_english(call, self.ear, coop)
        tracker_store: TrackerStore = request.app.ctx.agent.tracker_store
        if heard.kind in ("oui", "non"):
            return await self._offer_answered(call, heard.kind == "oui", tracker_store, on_new_message)
        text = heard.text if heard.kind == "texte" else self.texts.request("personne", call.language)
        return await self._bot_turn(call, text, tracker_store, on_new_message)

    async def _offer_answered(
        self,
        call: Call,
        yes: bool,
        tracker_store: TrackerStore,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Plan:
        """The caller's yes or no to the line's own question: transfer, summary by SMS, booking."""
        coop, offer = self._coop(call), call.offer
        if offer == "crise":
            if yes:
                return voice_call.crisis_transfer(call, self.ear, coop)
            return voice_call.declined(call, self.ear, coop)
        if offer == "resume":
            sent = yes and await self._text_summary(call)
            done = [self.ear.say("resume_envoye", call.language, coop)] if sent else []
            return voice_call.offer_booking(call, self.ear, coop, done)
        if not yes:
            return voice_call.goodbye(call, self.ear, coop)
        if call.ticket:  # the queued request gives way to a booking, as ANNULER does by SMS
            await self._say_to_bot(call, self.texts.request("annuler", call.language), on_new_message)
            call.ticket = ""
        booking = self.texts.request("rendez_vous", call.language)
        return await self._bot_turn(call, booking, tracker_store, on_new_message)

    async def _say_to_bot(
        self, call: Call, text: str, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> VoiceTurnCollector:
        collector = VoiceTurnCollector()
        sender = call_sender(call.phone, call.sid)
        await on_new_message(UserMessage(text, collector, sender, input_channel="voice", metadata={"coop": call.coop}))
        return collector

    async def _bot_turn(
        self,
        call: Call,
        text: str,
        tracker_store: TrackerStore,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> Plan:
        turn = await self._say_to_bot(call, text, on_new_message)
        messages = turn.messages
        call.language = voice_call.language_of(messages, call.language)
        tracker = await tracker_store.retrieve(call_sender(call.phone, call.sid))
        ticket = str(tracker.get_slot(Slot.HANDOFF) or "") if tracker else ""
        opened = bool(ticket) and ticket != call.ticket
        call.ticket = ticket
        member = str(tracker.get_slot(Slot.MEMBER) or "") if tracker else ""
        if member:
            await self._confirm_bookings(call, member, messages)
        return voice_call.after_bot(call, messages, turn.levels, self.ear, self._coop(call), opened)

    # --- SMS to the caller -------------------------------------------------------------------------

    async def _confirm_bookings(self, call: Call, member: str, messages: list[BotMessage]) -> None:
        """A booking made in this call gets its confirmation by SMS too: the turn's words, written for SMS."""
        sender = call_sender(call.phone, call.sid)
        store = BookingStore(resources.engine())
        upcoming = await asyncio.to_thread(store.upcoming_for_member, member, datetime.now(QUEBEC))
        new = [b.id for b in upcoming if b.conversation == sender and b.id not in call.booked]
        if not new:
            return
        call.booked.extend(new)
        await self._text(call, write_turn(messages).bodies)

    async def _text_summary(self, call: Call) -> bool:
        desk = HandoffDesk(resources.engine(), self.redis)
        ticket = await asyncio.to_thread(desk.get, call.ticket) if call.ticket else None
        if ticket is None:
            return False
        summary = ticket.summary
        body = self.texts.say(
            "resume_sms",
            call.language,
            self._coop(call),
            motif=summary.get("motif", ""),
            pour_qui=summary.get("pour_qui", ""),
            depuis=summary.get("depuis_quand", ""),
        )
        return await self._text(call, write_turn([BotMessage(body)]).bodies)

    async def _text(self, call: Call, bodies: list[str]) -> bool:
        from_number = self._coop(call).sms_number or None
        results = [
            await asyncio.to_thread(self.sender.send, call.phone, body, from_number=from_number) for body in bodies
        ]
        return bool(results) and all(r.outcome == "sent" for r in results)

    # --- after a transfer --------------------------------------------------------------------------

    async def _transferred(self, call: Call, form: dict[str, str]) -> Plan:
        return voice_call.after_transfer(call, form.get("DialCallStatus", ""), self.ear, self._coop(call))


def _twiml(twiml: str) -> HTTPResponse:
    return response.text(twiml, content_type="text/xml")
