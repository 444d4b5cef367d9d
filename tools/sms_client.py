"""Play a member's phone against the SMS channel: signed webhooks in, the local Twilio server's record out."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC00000000000000000000000000000000"  # make run's local account (deploy/processes.toml)


@dataclass(frozen=True)
class SmsClient:
    webhook_url: str  # the bot's /webhooks/sms/webhook
    twilio_url: str  # the local Twilio-compatible server
    auth_token: str

    def post(self, body: str, phone: str, to: str, sid: str | None = None, **extra: str) -> int:
        """Deliver one SMS to the bot as Twilio does, signed; the HTTP status of the answer."""
        params = {
            "MessageSid": sid or "SM" + uuid.uuid4().hex,
            "AccountSid": ACCOUNT_SID,
            "From": phone,
            "To": to,
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        signature = RequestValidator(self.auth_token).compute_signature(self.webhook_url, params)
        return self.post_raw(params, signature)

    def post_raw(self, params: dict[str, str], signature: str) -> int:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signature:
            headers["X-Twilio-Signature"] = signature
        data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(self.webhook_url, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    def sent_to(self, phone: str) -> list[dict[str, Any]]:
        """Every SMS the bot sent to `phone`, oldest first."""
        query = urllib.parse.urlencode({"to": phone})
        with urllib.request.urlopen(f"{self.twilio_url}/_local/messages?{query}", timeout=10) as response:
            return list(json.load(response))

    def wait_for(self, phone: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The SMS sent to `phone` once there are at least `count` (or all there are after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.sent_to(phone)
            if len(messages) >= count or time.monotonic() > deadline:
                return messages
            time.sleep(0.05)

    def exchange(self, body: str, phone: str, to: str, quiet: float = 0.6) -> list[str]:
        """Text the bot and collect its whole answer: the SMS that arrive until `quiet` seconds pass without one."""
        before = len(self.sent_to(phone))
        status = self.post(body, phone, to)
        if status != 200:
            raise RuntimeError(f"the SMS webhook answered {status}")
        messages = self.wait_for(phone, before + 1)
        while True:
            time.sleep(quiet)
            latest = self.sent_to(phone)
            if len(latest) == len(messages):
                return [m["body"] for m in latest[before:]]
            messages = latest
