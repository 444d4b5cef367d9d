"""The REST channel (POST /webhooks/rest/webhook), for local use and tests: Rasa's own, with its input checked.

Rasa's RestInput answers 500 to an empty or non-object body and logs the text of a message that
fails; this one answers 400 with a clear reason and never logs what the member wrote. In
production it is off (credentials.prod.yml).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

log = logging.getLogger(__name__)
MAX_MESSAGE_CHARS = 5000


class RestChannel(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("rest_webhook", __name__)

        @rest.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = request.json
            except Exception:  # Sanic raises its own error for a body that is not JSON
                body = None
            if not isinstance(body, dict):
                return response.json({"erreur": 'Corps JSON attendu: {"sender": "...", "message": "..."}'}, status=400)
            message, sender = body.get("message"), body.get("sender")
            if not isinstance(message, str) or len(message) > MAX_MESSAGE_CHARS:
                return response.json(
                    {"erreur": f"message: texte de {MAX_MESSAGE_CHARS} caractères au plus"}, status=400
                )
            if (sender is not None and not isinstance(sender, str | int)) or len(str(sender or "")) > 200:
                return response.json({"erreur": "sender: texte court attendu"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(message, collector, str(sender or "default"), input_channel="rest", metadata=metadata)
                )
            except Exception:
                log.exception("rest.handling_failed")  # without the member's text
                return response.json({"erreur": "problème technique"}, status=503)
            return response.json(collector.messages)

        return rest
