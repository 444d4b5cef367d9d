"""Twilio's webhooks, checked the same way for texts and calls: configured, not oversize, signed.

The signature covers the URL Twilio called: behind a proxy that is the public address
(PUBLIC_BASE_URL), not the one this process sees.
"""

from __future__ import annotations

import logging
from functools import cached_property

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from bot.sms.conversation import parse_form
from bot.sms.sender import TwilioSettings

log = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 64 * 1024  # Twilio's own requests are a few kilobytes


class TwilioWebhook:
    """The check of one channel's Twilio webhooks; `name` prefixes its log lines ("sms", "voice")."""

    def __init__(self, settings: TwilioSettings, name: str, off_text: str) -> None:
        self.settings = settings
        self.name = name
        self.off_text = off_text  # the answer when Twilio is not configured on this server

    @cached_property
    def validator(self) -> RequestValidator:
        return RequestValidator(self.settings.auth_token)

    def signed_url(self, request: Request) -> str:
        """The URL Twilio signed: the public address when set (behind a proxy), else the one requested."""
        if not self.settings.public_base_url:
            return str(request.url)
        query = f"?{request.query_string}" if request.query_string else ""
        return f"{self.settings.public_base_url}{request.path}{query}"

    def signed_form(self, request: Request) -> dict[str, str] | HTTPResponse:
        """The webhook's fields if Twilio signed them, else the HTTP answer to give."""
        if not self.settings.configured:
            return response.text(self.off_text, status=503)
        if len(request.body) > MAX_WEBHOOK_BYTES:
            return response.text("Requête trop grande.", status=413)
        form = parse_form(request.body)
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not self.validator.validate(self.signed_url(request), form, signature):
            log.warning("%s.bad_signature path=%s", self.name, request.path)
            return response.text("Signature Twilio absente ou invalide.", status=403)
        return form
