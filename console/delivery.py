"""Reaching a member from the console, on the member's own channel, and keeping the conversation whole.

SMS goes through Twilio (bot/sms/sender.py, which honours opt-outs), to a caller too (a call cannot
be reached once it has ended); web chat through the Socket.IO Redis manager that every Rasa process
listens to, so the member gets it whichever process holds their connection. Every message is also
appended to the Rasa conversation, so the transcript, the member's web history and the bot's own
memory include what the clinician said.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiohttp
import socketio

from bot.content import Content
from bot.dialogue.slots import Slot
from bot.membership.verification import phone_of_sender
from bot.platform.settings import console_section
from bot.platform.sms_text import pack
from bot.sms.sender import SmsSender

log = logging.getLogger(__name__)
SOCKETIO_CHANNEL = "coopsante-socketio"  # the Redis channel of channels/web.py's client manager


class Recipient(Protocol):
    """Whom to reach: a handoff ticket or a booking both say where the member is."""

    channel: str
    conversation: str
    coop: str


@dataclass
class MemberDelivery:
    sms: SmsSender
    content: Content
    redis_url: str
    rasa_url: str = field(default_factory=lambda: console_section().rasa_url)
    rasa_token: str = field(default_factory=lambda: console_section().rasa_token)

    def __post_init__(self) -> None:
        self.web = socketio.AsyncRedisManager(self.redis_url, channel=SOCKETIO_CHANNEL, write_only=True)

    async def send(self, ticket: Recipient, text: str, author: str | None = None, record: bool = True) -> bool:
        """Send `text` to the member; `author` names a clinician (None: the bot speaks)."""
        phone = phone_of_sender(ticket.conversation) if ticket.channel in ("sms", "voice") else None
        if phone:  # a caller is reached back by SMS, on the phone they called from
            body = f"{author}: {text}" if author else text
            coop = self.content.coop(ticket.coop)
            results = [
                await asyncio.to_thread(self.sms.send, phone, part, from_number=coop.sms_number or None)
                for part in pack([body])
            ]
            delivered = all(r.outcome == "sent" for r in results)
        else:
            message: dict[str, Any] = {"text": text}
            if author:
                message["auteur"] = author
            await self.web.emit("bot_uttered", message, room=ticket.conversation)
            delivered = True
        if record:
            await self.record(ticket.conversation, [_bot_event(text, author)])
        return delivered

    def tracker_url(self, conversation: str, suffix: str, include_events: str) -> tuple[str, dict[str, str]]:
        """A conversation's address in Rasa's HTTP API, and its query (with the token when set).

        Sanic does not decode %2B in a path, so a phone's "+" stays as it is ("+" is literal in a path).
        """
        query = {"include_events": include_events}
        if self.rasa_token:
            query["token"] = self.rasa_token
        return f"{self.rasa_url}/conversations/{urllib.parse.quote(conversation, safe='+')}/{suffix}", query

    async def record(self, conversation: str, events: list[dict[str, Any]]) -> None:
        """Append events to the Rasa conversation (Rasa's HTTP API, under its lock)."""
        url, query = self.tracker_url(conversation, "tracker/events", "NONE")
        timeout = aiohttp.ClientTimeout(total=15)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, params=query, json=events, timeout=timeout) as answer,
        ):
            if answer.status >= 300:
                log.error("console.record_failed status=%s", answer.status)


def _bot_event(text: str, author: str | None) -> dict[str, Any]:
    return {"event": "bot", "text": text, "metadata": {"clinicien": author} if author else {}}


def resume_events(closing_text: str) -> list[dict[str, Any]]:
    """What hands the conversation back to the bot: the handoff slot cleared, then its closing words."""
    return [
        {"event": "slot", "name": Slot.HANDOFF, "value": None},
        {"event": "slot", "name": Slot.TRIAGE_EPISODE, "value": []},  # the next message starts a new request
        _bot_event(closing_text, None),
    ]
