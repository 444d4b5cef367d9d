"""A local stand-in for Twilio's Messages API and Voice webhooks, for development and tests.

    python -m tools.twilio_local --port 5011 --account-sid AC... --auth-token T --webhook-url URL \
        --voice-url URL

The real `twilio` library talks to it once `client.api.base_url` points here: messages are
validated like Twilio does (same error codes), answered with a Twilio-shaped resource, kept in
memory, and reported to their status callback ("sent", then "delivered" or "undelivered"), signed
like Twilio signs. No SMS ever leaves the machine.

A control API under `/_local/` lets tests inject faults (429/5xx), mark numbers undeliverable, read
or clear what was sent, and simulate a member texting the coop (a signed webhook to
`--webhook-url`). `GET /` is a small French page that does the same by hand.

The voice simulator plays Twilio's side of a phone call: `POST /_local/calls` rings the bot's voice
webhook (`--voice-url`), signed; `POST /_local/calls/{sid}/answer` sends what the caller says
(`SpeechResult`) or presses (`Digits`) to the last <Gather>'s action, or silence; `POST
/_local/calls/{sid}/dial` reports how a <Dial> went (`DialCallStatus`). Each answer shows the TwiML
and what it says. `tools/voice_client.py` is a terminal caller built on it.

Logs never contain phone numbers or message text: only sids, segment counts and HTTP statuses.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging
import os
import re
import secrets
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree import ElementTree

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.platform.sms_text import segment_count

log = logging.getLogger("twilio_local")

API_VERSION = "2010-04-01"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
MAX_BODY = 1600  # Twilio's limit on Body, in characters
UNDELIVERED_ERROR = 30003  # Twilio: "Unreachable destination handset"
FAULT_STATUSES = frozenset({429, 500, 502, 503, 504})
WEBHOOK_TIMEOUT = 15.0  # seconds; Twilio gives a webhook 15 s before it gives up
CALLBACK_TIMEOUT = 10.0

DEFAULT_PORT = 5011
DEFAULT_MEMBER_PHONE = "+18195550101"
DEFAULT_COOP_PHONE = "+18195550100"


def new_call_sid() -> str:
    return "CA" + secrets.token_hex(16)


def new_message_sid() -> str:
    """A sid shaped like Twilio's: "SM" and 32 hex digits."""
    return "SM" + secrets.token_hex(16)


def rfc2822_now() -> str:
    """The current time as Twilio writes its dates (e.g. "Tue, 02 Jan 2024 15:04:05 +0000")."""
    return format_datetime(datetime.now(UTC))


def twilio_error(status: int, code: int, message: str) -> web.Response:
    """An error body shaped like Twilio's, which `TwilioRestException` reads its code from."""
    return web.json_response(
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status},
        status=status,
    )


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass
class SentMessage:
    """One message accepted by the Messages API, as recorded in memory."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    num_segments: int
    num_media: int
    status_callback: str | None
    date_created: str
    date_updated: str
    status: str = "queued"
    date_sent: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    accepted_at: float = field(default_factory=time.time)  # for latency measurements (make bench)

    @property
    def uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{self.sid}.json"

    def resource(self) -> dict[str, Any]:
        """The JSON Twilio answers for a message resource."""
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": self.body,
            "date_created": self.date_created,
            "date_sent": self.date_sent,
            "date_updated": self.date_updated,
            "direction": "outbound-api",
            "error_code": self.error_code,
            "error_message": self.error_message,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "num_media": str(self.num_media),
            "num_segments": str(self.num_segments),
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": self.uri.removesuffix(".json") + "/Media.json"},
            "to": self.to,
            "uri": self.uri,
        }

    def record(self) -> dict[str, Any]:
        """The shorter view the control API lists."""
        return {
            "sid": self.sid,
            "to": self.to,
            "from": self.from_,
            "messaging_service_sid": self.messaging_service_sid,
            "body": self.body,
            "num_segments": self.num_segments,
            "status": self.status,
            "error_code": self.error_code,
            "date_created": self.date_created,
            "accepted_at": self.accepted_at,
        }


@dataclass
class SimulatedCall:
    """A phone call the simulator plays, and where the TwiML it got last says to go next."""

    sid: str
    account_sid: str
    caller: str
    called: str
    url: str  # the document the last TwiML came from: relative addresses are resolved against it
    then: str = "none"  # gather, dial, hangup, none
    action: str = ""  # where the caller's next answer, or the transfer's outcome, is posted
    dialled: str = ""
    said: list[str] = field(default_factory=list)
    twiml: str = ""

    def params(self) -> dict[str, str]:
        """The fields Twilio posts with every request of a call."""
        return {
            "CallSid": self.sid,
            "AccountSid": self.account_sid,
            "From": self.caller,
            "To": self.called,
            "Caller": self.caller,
            "Called": self.called,
            "Direction": "inbound",
            "CallStatus": "in-progress" if self.then != "none" else "ringing",
            "ApiVersion": API_VERSION,
        }

    def follow(self, url: str, twiml: str) -> None:
        """Read the TwiML as Twilio would: say the <Say>s, then stop at a <Gather>, <Dial> or <Hangup>."""
        self.url, self.twiml, self.said = url, twiml, []
        self.then, self.action, self.dialled = "hangup", "", ""  # a document that ends ends the call
        for element in ElementTree.fromstring(twiml):
            if element.tag == "Say":
                self.said.append(element.text or "")
            elif element.tag == "Gather":
                self.said.extend(child.text or "" for child in element if child.tag == "Say")
                self.then, self.action = "gather", urljoin(url, element.get("action") or url)
                return
            elif element.tag == "Dial":
                number = element.find("Number")
                self.dialled = (number.text if number is not None else element.text) or ""
                self.then, self.action = "dial", urljoin(url, element.get("action") or url)
                return
            elif element.tag == "Hangup":
                return

    def view(self, status: int | str, seconds: float) -> dict[str, Any]:
        return {
            "call_sid": self.sid,
            "status": status,
            "seconds": round(seconds, 4),
            "said": self.said,
            "then": self.then,
            "dialled": self.dialled,
            "twiml": self.twiml,
        }


@dataclass
class LocalTwilio:
    """The server's state and its request handlers (one event loop, so no locks are needed)."""

    account_sid: str
    auth_token: str
    webhook_url: str | None
    messages: list[SentMessage] = field(default_factory=list)
    faults: deque[int] = field(default_factory=deque)
    undeliverable: set[str] = field(default_factory=set)
    session: aiohttp.ClientSession | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    voice_url: str | None = None
    calls: dict[str, SimulatedCall] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validator = RequestValidator(self.auth_token)

    def sign(self, url: str, params: dict[str, str]) -> str:
        """The X-Twilio-Signature Twilio would send with these form fields to this URL."""
        return str(self.validator.compute_signature(url, params))

    # --- Messages API -------------------------------------------------------------------------

    def authenticated(self, request: web.Request) -> bool:
        """Basic auth must be this account's sid and token, and the path must name this account."""
        try:
            auth = aiohttp.BasicAuth.decode(request.headers.get("Authorization", ""))
        except ValueError:
            return False
        return (
            hmac.compare_digest(auth.login.encode(), self.account_sid.encode())
            and hmac.compare_digest(auth.password.encode(), self.auth_token.encode())
            and request.match_info.get("account_sid") == self.account_sid
        )

    def unauthorized(self) -> web.Response:
        response = twilio_error(401, 20003, "Authenticate")
        response.headers["WWW-Authenticate"] = 'Basic realm="Twilio API"'
        return response

    def injected_fault(self) -> web.Response | None:
        """The next fault queued by `POST /_local/faults`, if any."""
        if not self.faults:
            return None
        status = self.faults.popleft()
        code = 20429 if status == 429 else 20500
        log.info("injected fault: HTTP %d", status)
        return twilio_error(status, code, HTTPStatus(status).phrase)

    async def create_message(self, request: web.Request) -> web.StreamResponse:
        if not self.authenticated(request):
            return self.unauthorized()
        fault = self.injected_fault()
        if fault is not None:
            return fault
        form = await request.post()
        to = str(form.get("To", "")).strip()
        from_ = str(form.get("From", "")).strip() or None
        service = str(form.get("MessagingServiceSid", "")).strip() or None
        body = str(form.get("Body", ""))
        media = [str(url) for url in form.getall("MediaUrl", [])]
        callback = str(form.get("StatusCallback", "")).strip() or None
        if not to:
            return twilio_error(400, 21211, "A 'To' phone number is required.")
        if not E164.match(to):
            return twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if from_ is None and service is None:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not body and not media:
            return twilio_error(400, 21602, "Message body is required.")
        if len(body) > MAX_BODY:
            return twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if callback is not None and not is_http_url(callback):
            return twilio_error(400, 21609, "Invalid StatusCallback url.")

        now = rfc2822_now()
        message = SentMessage(
            sid=new_message_sid(),
            account_sid=self.account_sid,
            to=to,
            from_=from_,
            messaging_service_sid=service,
            body=body,
            num_segments=segment_count(body) if body else 1,
            num_media=len(media),
            status_callback=callback,
            date_created=now,
            date_updated=now,
        )
        self.messages.append(message)
        log.info("message %s accepted: %d segment(s)", message.sid, message.num_segments)
        # Answer before any status moves on, as Twilio does: the client must know the sid before
        # a status callback about it can arrive.
        response = web.json_response(message.resource(), status=201)
        await response.prepare(request)
        await response.write_eof()
        self.spawn(self.deliver(message))
        return response

    async def fetch_message(self, request: web.Request) -> web.Response:
        if not self.authenticated(request):
            return self.unauthorized()
        sid = request.match_info["message_sid"]
        for message in self.messages:
            if message.sid == sid:
                return web.json_response(message.resource())
        return twilio_error(404, 20404, f"The requested resource {request.path} was not found")

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run in the background, keeping a reference so the task is not garbage-collected."""
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(self, message: SentMessage) -> None:
        """Move the message to "sent" then "delivered" (or "undelivered"), calling back each time."""
        await self.set_status(message, "sent")
        if message.to in self.undeliverable:
            message.error_code = UNDELIVERED_ERROR
            message.error_message = "Unreachable destination handset"
            await self.set_status(message, "undelivered")
        else:
            await self.set_status(message, "delivered")

    async def set_status(self, message: SentMessage, status: str) -> None:
        message.status = status
        message.date_updated = rfc2822_now()
        if status == "sent":
            message.date_sent = message.date_updated
        if message.status_callback is None:
            return
        params = {
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "AccountSid": self.account_sid,
            "To": message.to,
            "ApiVersion": API_VERSION,
        }
        if message.from_ is not None:
            params["From"] = message.from_
        if message.messaging_service_sid is not None:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if status == "undelivered" and message.error_code is not None:
            params["ErrorCode"] = str(message.error_code)
        result = await self.post_signed(message.status_callback, params, CALLBACK_TIMEOUT)
        if isinstance(result, int):
            log.info("status callback %s %s: HTTP %d", message.sid, status, result)
        else:
            log.warning("status callback %s %s failed: %s", message.sid, status, result)

    async def post_signed(self, url: str, params: dict[str, str], timeout: float) -> int | str:
        """POST form fields signed like Twilio; the HTTP status, or why it could not be sent.

        Never raises: a receiver that is down or broken must not take the simulator with it.
        """
        if self.session is None:
            return "server not started"
        headers = {"X-Twilio-Signature": self.sign(url, params), "User-Agent": "TwilioProxy/1.1"}
        try:
            async with self.session.post(
                url, data=params, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as response:
                await response.read()
                return response.status
        except TimeoutError:
            return f"no answer within {timeout:g} s"
        except Exception as exc:  # any failure of the receiver is reported, never raised
            return f"{type(exc).__name__}: {exc}"

    # --- Control API ----------------------------------------------------------------------------

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def add_faults(self, request: web.Request) -> web.Response:
        payload = await json_object(request)
        status = payload.get("status")
        count = payload.get("count", 1)
        if status not in FAULT_STATUSES or not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return web.json_response(
                {"error": f"expected {{'status': one of {sorted(FAULT_STATUSES)}, 'count': n >= 1}}"}, status=400
            )
        self.faults.extend([status] * count)
        return web.json_response({"pending": list(self.faults)})

    async def add_undeliverable(self, request: web.Request) -> web.Response:
        payload = await json_object(request)
        numbers = payload.get("numbers")
        if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
            return web.json_response({"error": "expected {'numbers': [\"+1...\", ...]}"}, status=400)
        self.undeliverable.update(numbers)
        return web.json_response({"undeliverable": sorted(self.undeliverable)})

    async def list_messages(self, request: web.Request) -> web.Response:
        to = request.query.get("to")
        # An unencoded "+" in a query string arrives as a space; phone numbers have no spaces.
        wanted = to.strip().replace(" ", "+") if to is not None else None
        if wanted is not None and not wanted.startswith("+") and wanted[:1].isdigit():
            wanted = "+" + wanted
        return web.json_response([m.record() for m in self.messages if wanted is None or m.to == wanted])

    async def clear(self, request: web.Request) -> web.Response:
        cleared = len(self.messages)
        self.messages.clear()
        self.faults.clear()
        self.undeliverable.clear()
        return web.json_response({"cleared": cleared})

    async def inbound(self, request: web.Request) -> web.Response:
        """Simulate a member's text: POST to the webhook what Twilio would, signed."""
        payload = await json_object(request)
        sender, recipient, body = payload.get("from"), payload.get("to"), payload.get("body", "")
        media = payload.get("media_urls") or []
        sid = payload.get("message_sid") or new_message_sid()
        if not isinstance(sender, str) or not isinstance(recipient, str) or not sender or not recipient:
            return web.json_response({"error": "'from' and 'to' are required"}, status=400)
        if not isinstance(body, str) or not isinstance(media, list) or not isinstance(sid, str):
            return web.json_response({"error": "'body', 'media_urls' or 'message_sid' has the wrong type"}, status=400)
        if not body and not media:
            return web.json_response({"error": "'body' or 'media_urls' is required"}, status=400)
        params = inbound_params(self.account_sid, sid, sender, recipient, body, (str(url) for url in media))
        if self.webhook_url is None:
            return web.json_response(
                {"status": 0, "message_sid": sid, "error": "no webhook URL configured (--webhook-url)"}
            )
        result = await self.post_signed(self.webhook_url, params, WEBHOOK_TIMEOUT)
        if isinstance(result, int):
            log.info("inbound %s: webhook HTTP %d", sid, result)
            return web.json_response({"status": result, "message_sid": sid})
        log.warning("inbound %s: webhook unreachable: %s", sid, result)
        return web.json_response({"status": 0, "message_sid": sid, "error": result})

    # --- Voice simulator ------------------------------------------------------------------------

    async def start_call(self, request: web.Request) -> web.Response:
        """A caller rings the coop: Twilio's first webhook of a call, signed."""
        payload = await json_object(request)
        caller, called = payload.get("from"), payload.get("to")
        if not isinstance(caller, str) or not isinstance(called, str) or not caller or not called:
            return web.json_response({"error": "'from' and 'to' are required"}, status=400)
        if self.voice_url is None:
            return web.json_response({"error": "no voice webhook URL configured (--voice-url)"}, status=409)
        call = SimulatedCall(new_call_sid(), self.account_sid, caller, called, self.voice_url)
        self.calls[call.sid] = call
        return await self.step(call, self.voice_url, call.params())

    async def answer_call(self, request: web.Request) -> web.Response:
        """What the caller says (`speech`) or presses (`digits`); neither is silence."""
        call = self.calls.get(request.match_info["call_sid"])
        if call is None or call.then != "gather":
            return web.json_response({"error": "no call waiting for an answer"}, status=409)
        payload = await json_object(request)
        speech, digits = payload.get("speech"), payload.get("digits")
        params = call.params()
        if isinstance(speech, str):
            params["SpeechResult"] = speech
            params["Confidence"] = str(payload.get("confidence", 0.9))
        if isinstance(digits, str) and digits:
            params["Digits"] = digits
        return await self.step(call, call.action, params)

    async def dial_outcome(self, request: web.Request) -> web.Response:
        """How the transfer went: completed, no-answer, busy, failed or canceled."""
        call = self.calls.get(request.match_info["call_sid"])
        if call is None or call.then != "dial":
            return web.json_response({"error": "no transfer under way"}, status=409)
        status = (await json_object(request)).get("status")
        if status not in ("completed", "no-answer", "busy", "failed", "canceled"):
            return web.json_response({"error": "status: completed, no-answer, busy, failed or canceled"}, status=400)
        params = {**call.params(), "DialCallStatus": str(status), "DialCallSid": new_call_sid()}
        if status == "completed":
            params["DialCallDuration"] = "42"
        return await self.step(call, call.action, params)

    async def step(self, call: SimulatedCall, url: str, params: dict[str, str]) -> web.Response:
        """Post one signed request of the call and follow the TwiML it answers."""
        if self.session is None:
            return web.json_response({"error": "server not started"}, status=503)
        headers = {"X-Twilio-Signature": self.sign(url, params), "User-Agent": "TwilioProxy/1.1"}
        started = time.monotonic()
        try:
            async with self.session.post(
                url, data=params, headers=headers, timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT)
            ) as response:
                body = await response.text()
                status = response.status
        except Exception as exc:  # an unreachable bot is reported, as Twilio's debugger would
            return web.json_response({"call_sid": call.sid, "status": 0, "error": f"{type(exc).__name__}: {exc}"})
        seconds = time.monotonic() - started
        if status != 200:
            call.then = "none"
            return web.json_response({"call_sid": call.sid, "status": status, "error": body[:200]})
        try:
            call.follow(url, body)
        except ElementTree.ParseError:
            return web.json_response({"call_sid": call.sid, "status": status, "error": "not TwiML"})
        log.info("call %s: HTTP %d, then %s", call.sid, status, call.then)
        return web.json_response(call.view(status, seconds))

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html", charset="utf-8")

    # --- Life cycle -----------------------------------------------------------------------------

    async def client_session(self, app: web.Application) -> AsyncIterator[None]:
        """One HTTP client for callbacks and webhooks, opened and closed with the server."""
        self.session = aiohttp.ClientSession()
        yield
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.session.close()
        self.session = None


def inbound_params(
    account_sid: str, sid: str, sender: str, recipient: str, body: str, media: Iterable[str]
) -> dict[str, str]:
    """The form fields Twilio posts to an SMS webhook for an incoming text."""
    urls = list(media)
    params = {
        "MessageSid": sid,
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "To": recipient,
        "Body": body,
        "NumMedia": str(len(urls)),
        "NumSegments": str(segment_count(body) if body else 1),
        "SmsStatus": "received",
        "ApiVersion": API_VERSION,
    }
    for index, url in enumerate(urls):
        params[f"MediaUrl{index}"] = url
        params[f"MediaContentType{index}"] = "image/jpeg"
    return params


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's JSON body if it is an object, else an empty one (the handler then says what is missing)."""
    try:
        payload = await request.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


STATE = web.AppKey("twilio_local", LocalTwilio)


def make_app(
    account_sid: str, auth_token: str, webhook_url: str | None, voice_url: str | None = None
) -> web.Application:
    """The simulator as an aiohttp application (state in `app[STATE]`)."""
    state = LocalTwilio(account_sid=account_sid, auth_token=auth_token, webhook_url=webhook_url, voice_url=voice_url)
    app = web.Application()
    app[STATE] = state
    app.cleanup_ctx.append(state.client_session)
    messages = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages"
    app.router.add_post(messages + ".json", state.create_message)
    app.router.add_get(messages + "/{message_sid}.json", state.fetch_message)
    app.router.add_get("/health", state.health)
    app.router.add_post("/_local/faults", state.add_faults)
    app.router.add_post("/_local/undeliverable", state.add_undeliverable)
    app.router.add_get("/_local/messages", state.list_messages)
    app.router.add_delete("/_local/messages", state.clear)
    app.router.add_post("/_local/inbound", state.inbound)
    app.router.add_post("/_local/calls", state.start_call)
    app.router.add_post("/_local/calls/{call_sid}/answer", state.answer_call)
    app.router.add_post("/_local/calls/{call_sid}/dial", state.dial_outcome)
    app.router.add_get("/", state.page)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Local Twilio Messages API for development and tests (no real SMS is sent)."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("TWILIO_LOCAL_PORT", DEFAULT_PORT)))
    parser.add_argument("--account-sid", default=os.environ.get("TWILIO_ACCOUNT_SID"))
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN"))
    parser.add_argument(
        "--webhook-url",
        default=os.environ.get("TWILIO_LOCAL_WEBHOOK"),
        help="where simulated incoming texts are posted (the bot's Twilio webhook)",
    )
    parser.add_argument(
        "--voice-url",
        default=os.environ.get("TWILIO_LOCAL_VOICE_WEBHOOK"),
        help="where simulated calls ring (the bot's voice webhook)",
    )
    args = parser.parse_args()
    if not args.account_sid or not args.auth_token:
        parser.error("--account-sid and --auth-token are required (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)")
    if args.webhook_url is not None and not is_http_url(args.webhook_url):
        parser.error(f"--webhook-url must be an http(s) URL, got {args.webhook_url!r}")
    if args.voice_url is not None and not is_http_url(args.voice_url):
        parser.error(f"--voice-url must be an http(s) URL, got {args.voice_url!r}")

    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s twilio_local: %(message)s")
    app = make_app(args.account_sid, args.auth_token, args.webhook_url or None, args.voice_url or None)
    log.info(
        "listening on http://%s:%d (webhook: %s)", args.host, args.port, "configured" if args.webhook_url else "none"
    )
    # No access log: the control API's query strings carry phone numbers.
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Simulateur de texto (local)</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 1.5rem auto; padding: 0 1rem;
         color: #1a1a1a; background: #fafafa; }
  h1 { font-size: 1.4rem; }
  .notice { background: #fff4cc; border: 1px solid #c9a400; padding: .5rem .75rem; border-radius: .3rem; }
  form { display: grid; gap: .6rem; margin: 1rem 0; }
  label { font-weight: 600; }
  input, textarea, button { font: inherit; padding: .4rem; }
  textarea { min-height: 4rem; }
  button { justify-self: start; padding: .4rem 1.2rem; }
  :focus-visible { outline: 3px solid #005fcc; outline-offset: 2px; }
  #error { color: #a40000; min-height: 1.2em; }
  #conversation { list-style: none; padding: 0; display: flex; flex-direction: column; gap: .5rem; }
  #conversation li { max-width: 80%; padding: .5rem .75rem; border-radius: .8rem; white-space: pre-wrap; }
  li.member { align-self: flex-end; background: #005fcc; color: #fff; }
  li.coop { align-self: flex-start; background: #e4e4e4; }
  .meta { display: block; font-size: .75rem; opacity: .85; margin-top: .2rem; }
</style>
</head>
<body>
<main>
<h1>Simulateur de texto (local)</h1>
<p class="notice"><strong>Aucun vrai texto n'est envoyé.</strong> Cette page imite Twilio sur votre poste :
vos messages vont au robot de la coop et ses réponses s'affichent ci-dessous.</p>
<form id="send">
  <label for="phone">Téléphone du membre</label>
  <input id="phone" type="tel" value="+18195550101" autocomplete="off" required>
  <label for="coop">Numéro de la coop</label>
  <input id="coop" type="tel" value="+18195550100" autocomplete="off" required>
  <label for="body">Message</label>
  <textarea id="body" required></textarea>
  <button type="submit">Envoyer</button>
  <p id="error" role="alert"></p>
</form>
<h2>Conversation</h2>
<ol id="conversation" aria-live="polite" aria-relevant="additions"></ol>
</main>
<script>
(function () {
  "use strict";
  var phone = document.getElementById("phone");
  var coop = document.getElementById("coop");
  var body = document.getElementById("body");
  var list = document.getElementById("conversation");
  var error = document.getElementById("error");
  var sent = {};      // the member's own texts, by phone: [{body, after, status}]
  var replies = [];   // what the coop sent to the current phone, in order
  var STATUS = { queued: "en file", sent: "envoyé", delivered: "livré", undelivered: "non livré", failed: "échec" };
  var rendered = [];  // "who|text" of each list item, in order

  function mine() { return sent[phone.value] || (sent[phone.value] = []); }

  function item(who, text, meta) {
    var li = document.createElement("li");
    li.className = who;
    li.appendChild(document.createTextNode(text));
    var small = document.createElement("span");
    small.className = "meta";
    small.textContent = meta;
    li.appendChild(small);
    return li;
  }

  function render() {
    // A member's text goes after the replies that had arrived when it was sent.
    var rows = [];
    var own = mine();
    var j = 0;
    for (var i = 0; i <= replies.length; i++) {
      while (j < own.length && own[j].after <= i) { rows.push(["member", own[j].body, own[j].status]); j++; }
      if (i < replies.length) {
        var r = replies[i];
        rows.push(["coop", r.body, r.num_segments + " segment(s) · " + (STATUS[r.status] || r.status)]);
      }
    }
    // Append what is new and update statuses in place, so that screen readers announce only
    // the new messages; rebuild only if the history itself changed (cleared, other phone).
    var same = rendered.length <= rows.length;
    for (var k = 0; same && k < rendered.length; k++) { same = rendered[k] === rows[k][0] + "|" + rows[k][1]; }
    if (!same) { list.textContent = ""; rendered = []; }
    for (var m = 0; m < rows.length; m++) {
      if (m < rendered.length) {
        list.children[m].lastChild.textContent = rows[m][2];
      } else {
        list.appendChild(item(rows[m][0], rows[m][1], rows[m][2]));
        rendered.push(rows[m][0] + "|" + rows[m][1]);
      }
    }
  }

  function refresh() {
    return fetch("/_local/messages?to=" + encodeURIComponent(phone.value))
      .then(function (r) { return r.json(); })
      .then(function (messages) { replies = messages; render(); })
      .catch(function () { /* the next poll retries */ });
  }

  document.getElementById("send").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = body.value;
    if (!text.trim()) { error.textContent = "Écrivez un message."; return; }
    error.textContent = "";
    refresh().then(function () {
      var entry = { body: text, after: replies.length, status: "envoi…" };
      mine().push(entry);
      body.value = "";
      render();
      return fetch("/_local/inbound", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ from: phone.value, to: coop.value, body: text })
      }).then(function (r) { return r.json(); }).then(function (result) {
        if (result.status >= 200 && result.status < 300) {
          entry.status = "reçu par le robot";
        } else {
          entry.status = "échec";
          error.textContent = result.status
            ? "Le robot a répondu HTTP " + result.status + "."
            : "Robot injoignable : " + (result.error || "erreur inconnue");
        }
        render();
      });
    }).catch(function () { error.textContent = "Le simulateur ne répond pas."; });
  });

  phone.addEventListener("change", function () { replies = []; render(); refresh(); });
  refresh();
  setInterval(refresh, 1000);
})();
</script>
</body>
</html>
"""


if __name__ == "__main__":
    main()
