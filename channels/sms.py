"""The SMS channel: Twilio's webhook in, Twilio's Messages API out.

POST /webhooks/sms/webhook   a member's SMS (Twilio form fields), signed with X-Twilio-Signature
POST /webhooks/sms/status    delivery reports for what the bot sent (failures are recorded)
GET  /webhooks/sms/          whether SMS is configured

The webhook answers at once and the bot works after, so no slow step meets Twilio's 15-second limit.
A retried webhook (same MessageSid) is handled once. Keywords, opt-out, bad input and SMS
formatting are decided in bot/sms/conversation.py; this module is the Rasa and HTTP glue.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from redis.asyncio import Redis as AsyncRedis
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.content import Content
from bot.platform.pseudonym import pseudonym
from bot.platform.settings import load_settings
from bot.platform.sms_text import chosen
from bot.sms.conversation import BotMessage, SmsTexts, SmsTurn, load_sms_texts, screen, write_turn
from bot.sms.keywords import AsyncOptOuts, OptOuts, keyword
from bot.sms.sender import SmsSender, TwilioSettings
from channels import resources
from channels.twilio_webhook import TwilioWebhook

log = logging.getLogger(__name__)

SEEN_KEY = "coopsante:sms:vu:"  # MessageSids already taken in, so a retry is handled once
SEEN_SECONDS = 48 * 3600  # longer than Twilio retries for
CHOICES_KEY = "coopsante:sms:choix:"  # what "1", "2"... mean in the member's next reply
CHOICES_SECONDS = 24 * 3600
DELIVERY_SECONDS = 30 * 86400  # failed deliveries are kept a month (bot/records/retention.py)
DELIVERY_STREAM = "coopsante:sms:livraison"  # failed deliveries, without the phone or the text
FAILED_STATUSES = {"failed", "undelivered"}
TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


class SmsTurnCollector(OutputChannel):
    """Gathers one turn's bot messages, to be written for SMS and sent together."""

    def __init__(self) -> None:
        self.messages: list[BotMessage] = []

    @classmethod
    def name(cls) -> str:
        return "sms"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.messages.append(BotMessage.from_rasa(message))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.messages.append(BotMessage(text))


class SmsPush(OutputChannel):
    """Sends as it goes: for messages the bot pushes outside a member's turn (reminders, clinicians)."""

    def __init__(self, channel: SmsInput) -> None:
        self.channel = channel

    @classmethod
    def name(cls) -> str:
        return "sms"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.channel.send_turn(recipient_id, [BotMessage.from_rasa(message)], from_number=None)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.channel.send_turn(recipient_id, [BotMessage(text)], from_number=None)


class SmsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TwilioSettings.from_env())

    def __init__(self, settings: TwilioSettings) -> None:
        self.settings = settings
        self.webhook = TwilioWebhook(settings, "sms", "SMS non configuré sur ce serveur.")
        self._tasks: set[asyncio.Task[None]] = set()
        self._sender_locks: dict[str, asyncio.Lock] = {}
        self._sender_pending: dict[str, int] = {}
        if not settings.configured:
            log.warning("sms.off: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and a sending number to turn SMS on")

    @property
    def redis(self) -> redis.Redis[str]:
        """For the sender's threads."""
        return resources.redis_client()

    @property
    def live(self) -> AsyncRedis[str]:
        """For the handlers, on the event loop."""
        return resources.live_redis()

    @property
    def opt_outs(self) -> AsyncOptOuts:
        return AsyncOptOuts(self.live)

    @property
    def content(self) -> Content:
        return resources.content()

    @cached_property
    def texts(self) -> SmsTexts:
        return load_sms_texts(load_settings().content_dir, list(self.content.coops.values()))

    @cached_property
    def sender(self) -> SmsSender:
        return SmsSender(self.settings, OptOuts(self.redis))

    def get_output_channel(self) -> OutputChannel:
        return SmsPush(self)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sms = Blueprint("sms_webhook", __name__)

        @sms.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.configured else "off"})

        @sms.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            form = self.webhook.signed_form(request)
            if isinstance(form, HTTPResponse):
                return form
            sid, sender, to = form.get("MessageSid", ""), form.get("From", ""), form.get("To", "")
            if not (sid and sender):
                return response.text("MessageSid et From sont requis.", status=400)
            if not await self.live.set(SEEN_KEY + sid, "1", nx=True, ex=SEEN_SECONDS):
                log.info("sms.retry_ignored sid=%s", sid)
                return _twiml()
            media = int(form["NumMedia"]) if form.get("NumMedia", "").isdigit() else 0
            self._spawn(self._take(on_new_message, sid, sender, to, form.get("Body", ""), media))
            return _twiml()

        @sms.route("/status", methods=["POST"])
        async def status(request: Request) -> HTTPResponse:
            form = self.webhook.signed_form(request)
            if isinstance(form, HTTPResponse):
                return form
            state = form.get("MessageStatus") or form.get("SmsStatus") or ""
            if state in FAILED_STATUSES:
                code = form.get("ErrorCode", "")
                await record_delivery_failure_async(self.live, form.get("MessageSid", ""), state, code)
                if code == "21610" and form.get("To"):  # the carrier says the member replied STOP
                    await self.opt_outs.stop(form["To"], "carrier")
                log.warning("sms.delivery_failed sid=%s status=%s code=%s", form.get("MessageSid"), state, code)
            return response.empty()

        return sms

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)  # keep a reference until done, or the loop may drop it
        task.add_done_callback(self._tasks.discard)

    async def _take(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sid: str,
        sender: str,
        to: str,
        body: str,
        media: int,
    ) -> None:
        """One member's messages are handled in arrival order; different members' at the same time."""
        lock = self._sender_locks.setdefault(sender, asyncio.Lock())
        self._sender_pending[sender] = self._sender_pending.get(sender, 0) + 1
        try:
            async with lock:
                await self._handle(on_new_message, sid, sender, to, body, media)
        except Exception:
            log.exception("sms.handling_failed sid=%s", sid)
            try:
                await self._notify(sender, to, "technical", urgent=True)
            except Exception:
                log.exception("sms.technical_notice_failed sid=%s", sid)
        finally:
            self._sender_pending[sender] -= 1
            if not self._sender_pending[sender]:  # nobody else waits: forget this member's lock
                del self._sender_pending[sender], self._sender_locks[sender]

    async def _handle(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sid: str,
        sender: str,
        to: str,
        body: str,
        media: int,
    ) -> None:
        opt_outs = self.opt_outs
        word = keyword(body) if not media else None
        if word == "stop":
            if await opt_outs.stop(sender, "keyword"):
                await self._notify(sender, to, "stop", urgent=True)  # the one message after an opt-out
            return
        if word == "start":
            await opt_outs.resume(sender)
            await self._notify(sender, to, "start")
            return
        if word == "help":
            await self._notify(sender, to, "help", urgent=True)  # carriers expect HELP answered always
            return

        screened = screen(body, media)
        for notice in screened.notices:
            await self._notify(sender, to, notice)
        if screened.text is None:
            return
        text = chosen(screened.text, await self._pending_choices(sender)) or screened.text
        coop = self.content.coop_texted(to)
        metadata = {"coop": coop.id} if coop else {}
        collector = SmsTurnCollector()
        await on_new_message(
            UserMessage(text, collector, sender, input_channel="sms", message_id=sid, metadata=metadata)
        )
        if collector.messages:  # none while a clinician has the member: the clinician answers
            await self.send_turn(sender, collector.messages, from_number=to)

    async def send_turn(self, phone: str, messages: list[BotMessage], from_number: str | None) -> None:
        """Write a bot turn for SMS and send it; to a phone that opted out, only an emergency answer goes."""
        urgent_only = await self.opt_outs.opted_out(phone)
        turn = write_turn(messages, urgent_only=urgent_only)
        await self._remember_choices(phone, turn)
        urgent = any(m.urgent for m in messages)
        for body in turn.bodies:
            await asyncio.to_thread(self.sender.send, phone, body, from_number=self._from(from_number), urgent=urgent)

    async def _notify(self, phone: str, to: str, key: str, urgent: bool = False) -> None:
        coop = self.content.coop_texted(to) or self.content.coop(None)
        body = write_turn([BotMessage(self.texts.say(key, coop))]).bodies[0]
        await asyncio.to_thread(self.sender.send, phone, body, from_number=self._from(to), urgent=urgent)

    def _from(self, texted: str | None) -> str | None:
        """Reply from the number the member texted when it is one of ours."""
        return texted if texted and self.content.coop_texted(texted) else None

    async def _pending_choices(self, phone: str) -> list[str]:
        raw = await self.live.get(CHOICES_KEY + pseudonym(phone))
        return list(json.loads(raw)) if raw else []

    async def _remember_choices(self, phone: str, turn: SmsTurn) -> None:
        key = CHOICES_KEY + pseudonym(phone)
        if turn.payloads:
            await self.live.set(key, json.dumps(turn.payloads, ensure_ascii=False), ex=CHOICES_SECONDS)
        elif turn.bodies:
            await self.live.delete(key)


def _twiml() -> HTTPResponse:
    return response.text(TWIML_EMPTY, content_type="text/xml")


def record_delivery_failure(client: Any, sid: str, state: str, code: str, now: float | None = None) -> None:
    """Note a failed delivery (never the phone or the text); entries older than a month are trimmed
    and the stream expires a month after the last failure."""
    _delivery_failure(client.pipeline(transaction=True), sid, state, code, now).execute()


async def record_delivery_failure_async(client: Any, sid: str, state: str, code: str) -> None:
    """`record_delivery_failure` over a `redis.asyncio` client."""
    await _delivery_failure(client.pipeline(transaction=True), sid, state, code, None).execute()


def _delivery_failure(pipe: Any, sid: str, state: str, code: str, now: float | None) -> Any:
    """The failure's commands, queued on a pipeline (blocking or asyncio: queuing is the same)."""
    now = time.time() if now is None else now
    oldest = f"{int((now - DELIVERY_SECONDS) * 1000)}-0"
    pipe.xadd(DELIVERY_STREAM, {"sid": sid, "statut": state, "erreur": code}, minid=oldest, approximate=False)
    pipe.expire(DELIVERY_STREAM, DELIVERY_SECONDS)
    return pipe
