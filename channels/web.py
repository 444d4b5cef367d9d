"""The web chat channel: Rasa's Socket.IO channel, made safe to put on a coop's public website.

GET  /webhooks/web/            health
GET  /webhooks/web/widget.js   the widget (web/dist/widget.js, built from web/src by `make web`)
GET  /webhooks/web/demo        a mock coop home page with the widget on it
     /socket.io/               the Socket.IO endpoint the widget talks to

What it adds to Rasa's `SocketIOInput`:
- session ids are issued by the server ("web-" and 128 random bits) and a browser can only resume
  one it was given: it cannot pick a phone number or another member's id as its conversation;
- a reload or another page resumes the conversation, and the server sends its history;
- the Socket.IO server uses a Redis client manager, so a message pushed to a member (a clinician's
  reply, a reminder) reaches them whichever Rasa process holds their connection;
- an allow-list of site origins, a size limit per message, a rate limit per session, and an
  optional signed token (JWT) from a coop site where the member is logged in.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import redis
import socketio
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from redis.asyncio import Redis as AsyncRedis
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.booking.availability import load_rules
from bot.booking.ics import booking_ics, key_matches
from bot.booking.store import Booking, BookingStore
from bot.content import Content
from bot.membership.web_identity import AsyncWebIdentities, verified_member
from bot.platform.language import detect
from bot.platform.pseudonym import pseudonym
from bot.platform.settings import DEFAULT_JWT_AUDIENCE, PROJECT_ROOT, load_settings, web_section
from channels import resources

log = logging.getLogger(__name__)

WIDGET = PROJECT_ROOT / "web" / "dist" / "widget.js"
DEMO_PAGE = PROJECT_ROOT / "web" / "demo" / "index.html"
SESSION_ID = re.compile(r"web-[0-9a-f]{32}")
MAX_MESSAGE_CHARS = 1000
MAX_PACKET_BYTES = 32 * 1024  # Socket.IO drops a connection that sends more in one packet
HISTORY_MESSAGES = 100
RATE_KEY = "coopsante:web:debit:"
BOT_EVENT = "bot_uttered"
# Shown by the widget when a coop site's token is refused (bad signature, expired, another audience or issuer).
TOKEN_REFUSED = "Jeton de connexion invalide ou expiré."


def allowed_origins(env: dict[str, str] | None = None) -> list[str]:
    """WEB_ALLOWED_ORIGINS (comma-separated), else the origin of PUBLIC_BASE_URL."""
    return list(web_section(env).allowed_origins)


class _AppAwareBlueprint(SocketBlueprint):
    """Rasa's Socket.IO blueprint, remembering the app so that handlers can read conversations."""

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.app = app
        super().register(app, options)


class WebChatInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "web"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        web = load_settings().web
        origins = list(web.allowed_origins)
        return cls(
            origins=origins,
            jwt_secret=web.jwt_secret,
            per_minute=web.messages_per_minute,
            jwt_audience=web.jwt_audience,
            jwt_issuers=web.jwt_issuers or tuple(origins),
        )

    def __init__(
        self,
        origins: list[str],
        jwt_secret: str = "",
        per_minute: int = 20,
        jwt_audience: str = DEFAULT_JWT_AUDIENCE,
        jwt_issuers: tuple[str, ...] = (),
    ) -> None:
        super().__init__(session_persistence=True, socketio_path="/socket.io")
        self.origins = origins
        self.jwt_secret = jwt_secret
        self.per_minute = per_minute
        self.jwt_audience = jwt_audience
        self.jwt_issuers = jwt_issuers or tuple(origins)
        self._blueprint: _AppAwareBlueprint | None = None

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

    def get_output_channel(self) -> OutputChannel | None:
        return SocketIOOutput(self.sio, BOT_EVENT) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = socketio.AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.origins,
            client_manager=socketio.AsyncRedisManager(load_settings().redis_url, channel="coopsante-socketio"),
            max_http_buffer_size=MAX_PACKET_BYTES,
            # Long-polling only: WebSocket frames from python-engineio's Sanic driver are broken on the
            # Sanic 21.12 that Rasa 3.6 pins (browsers report "Invalid frame header").
            transports=["polling"],
        )
        self.sio = sio
        web = _AppAwareBlueprint(sio, "/socket.io", "web_webhook", __name__)
        self._blueprint = web
        self._static_routes(web)

        @sio.on("connect")
        async def connect(sid: str, environ: dict[str, Any], auth: dict[str, Any] | None) -> None:
            token = (auth or {}).get("token") if isinstance(auth, dict) else None
            member = None
            if token:
                member = verified_member(str(token), self.jwt_secret, self.jwt_audience, self.jwt_issuers)
                if member is None:
                    raise socketio.exceptions.ConnectionRefusedError(TOKEN_REFUSED)
            await sio.save_session(sid, {"member": member})

        @sio.on("session_request")
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            asked = str(data.get("session_id") or "")
            session_id = asked if SESSION_ID.fullmatch(asked) else f"web-{uuid.uuid4().hex}"
            coop = str(data.get("coop") or "")
            state = await sio.get_session(sid)
            state.update(session=session_id, coop=coop if coop in self.content.coops else None)
            await sio.save_session(sid, state)
            if state.get("member"):
                number, seconds = state["member"]
                await AsyncWebIdentities(self.live).remember(session_id, number, seconds)
            await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)
            await sio.emit("history", await self._history(session_id if asked == session_id else None), room=sid)

        @sio.on("user_uttered")
        async def user_uttered(sid: str, data: Any) -> None:
            state = await sio.get_session(sid)
            session_id = state.get("session")
            if not session_id:
                await sio.emit(BOT_EVENT, {"text": self._say("web.sans_session", "")}, room=sid)
                return
            data = data if isinstance(data, dict) else {}
            raw = data.get("message")
            text = raw.strip() if isinstance(raw, str) else ""
            refusal = await self._refusal(text, session_id, raw if isinstance(raw, str) else "")
            if refusal:
                await sio.emit(BOT_EVENT, {"text": refusal}, room=sid)
                return
            metadata: dict[str, Any] = {"coop": state.get("coop")} if state.get("coop") else {}
            shown = (data.get("metadata") or {}).get("shown") if isinstance(data.get("metadata"), dict) else None
            if isinstance(shown, str) and shown.strip():
                metadata["shown"] = shown.strip()[:200]  # a quick reply's title, for the history
            message = UserMessage(
                text, SocketIOOutput(sio, BOT_EVENT), session_id, input_channel=self.name(), metadata=metadata
            )
            try:
                await on_new_message(message)
            except Exception:
                log.exception("web.handling_failed")
                await sio.emit(BOT_EVENT, {"text": self._say("web.technique", text)}, room=session_id)

        return web

    def _say(self, key: str, written: str) -> str:
        """One of the channel's own texts (content/texts.yml, `web`), in the language of what was written."""
        return self.content.say(key, detect(written), None, limite=MAX_MESSAGE_CHARS)

    async def _refusal(self, text: str, session_id: str, written: str) -> str | None:
        """Why a message is not given to the assistant, in the member's language; None when it is."""
        if not text:
            return self._say("web.vide", written)
        if len(text) > MAX_MESSAGE_CHARS:
            return self._say("web.trop_long", written)
        key = f"{RATE_KEY}{pseudonym(session_id)}:{int(time.time() // 60)}"
        pipe = self.live.pipeline()
        pipe.incr(key)
        pipe.expire(key, 120)
        count = int((await pipe.execute())[0])
        return self._say("web.trop_vite", written) if count > self.per_minute else None

    async def _history(self, session_id: str | None) -> list[dict[str, Any]]:
        """The conversation so far, to show after a reload (only for a session the browser already had)."""
        app = getattr(self._blueprint.ctx, "app", None) if self._blueprint else None
        agent = getattr(app.ctx, "agent", None) if app else None
        if not session_id or agent is None or agent.tracker_store is None:
            return []
        # The whole current session (a turn reads only its recent events: components/stores.py).
        tracker = await agent.tracker_store.retrieve_full_tracker(session_id)
        if tracker is None:
            return []
        messages: list[dict[str, Any]] = []
        for event in tracker.events:
            if event.type_name == "session_started":
                messages = []
            elif event.type_name == "user" and event.text:
                shown = (event.metadata or {}).get("shown")
                messages.append({"who": "user", "text": shown or event.text, "time": event.timestamp})
            elif event.type_name == "bot" and event.text:
                author = (event.metadata or {}).get("clinicien")  # a clinician's message, kept by the console
                messages.append({"who": "bot", "text": event.text, "time": event.timestamp, "author": author})
        return messages[-HISTORY_MESSAGES:]

    def _static_routes(self, web: Blueprint) -> None:
        @web.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok", "widget": WIDGET.exists()})

        @web.route("/widget.js", methods=["GET"])
        async def widget(request: Request) -> HTTPResponse:
            return await _file(WIDGET, "application/javascript; charset=utf-8")

        @web.route("/rdv/<file_name>", methods=["GET"])  # Sanic 21.12 routes no "<id>.ics"
        async def calendar(request: Request, file_name: str) -> HTTPResponse:
            """A web member's booking for their calendar, behind the key the confirmation gave."""
            booking_id = file_name.removesuffix(".ics")
            booking = await asyncio.to_thread(self._booking_behind, booking_id, str(request.args.get("cle", "")))
            if booking is None:
                return response.text("Rendez-vous introuvable.", status=404)
            rules = load_rules(load_settings().content_dir)
            body = booking_ics(booking, rules, self.content.coop(booking.coop).name)
            headers = {"Content-Disposition": f'attachment; filename="rendez-vous-{booking_id}.ics"'}
            return response.text(body, content_type="text/calendar; charset=utf-8", headers=headers)

        @web.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            return await _file(DEMO_PAGE, "text/html; charset=utf-8")

    def _booking_behind(self, booking_id: str, key: str) -> Booking | None:
        """The booking if `key` is its link's key (PostgreSQL and Redis: called in a thread)."""
        booking = BookingStore(resources.engine()).get(booking_id)
        return booking if booking is not None and key_matches(self.redis, booking_id, key) else None


async def _file(path: Path, content_type: str) -> HTTPResponse:
    if not path.exists():
        return response.text("Le widget n'est pas construit: lancez `make web`.", status=503)
    return await response.file(path, mime_type=content_type, headers={"Cache-Control": "no-cache"})
