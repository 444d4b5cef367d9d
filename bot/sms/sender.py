"""Every SMS the project sends goes out here: through Twilio's Messages API, honouring opt-outs.

Configuration uses Twilio's usual environment names. `TWILIO_API_BASE_URL` points the real `twilio`
library at another Messages API (the local one that `make run` and the tests start). A 429 or 5xx
answer, or a network error, is retried with exponential back-off; any other error is final.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Literal

from requests import RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from bot.platform.settings import DEFAULT_TWILIO_API_BASE_URL, twilio_section
from bot.sms.keywords import OptOuts

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = DEFAULT_TWILIO_API_BASE_URL
UNSUBSCRIBED_RECIPIENT = 21610  # Twilio: the carrier says this phone replied STOP
RETRIED_STATUSES = {429, 500, 502, 503, 504}
STATUS_CALLBACK_PATH = "/webhooks/sms/status"


@dataclass(frozen=True)
class TwilioSettings:
    account_sid: str = ""
    auth_token: str = ""
    from_number: str = ""
    messaging_service_sid: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    public_base_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TwilioSettings:
        """The Twilio section of the settings (bot/platform/settings.py), from the environment or the given mapping."""
        return cls(**asdict(twilio_section(env)))

    @property
    def configured(self) -> bool:
        return bool(self.account_sid and self.auth_token and (self.from_number or self.messaging_service_sid))

    @property
    def status_callback(self) -> str | None:
        return self.public_base_url + STATUS_CALLBACK_PATH if self.public_base_url else None


Outcome = Literal["sent", "opted_out", "failed", "off"]


@dataclass(frozen=True)
class Sent:
    outcome: Outcome
    sid: str | None = None
    error_code: int | None = None


@dataclass
class SmsSender:
    settings: TwilioSettings
    opt_outs: OptOuts
    attempts: int = 4
    first_delay: float = 0.5
    sleep: Callable[[float], None] = time.sleep
    _client: Client | None = field(default=None, init=False, repr=False)
    _client_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def client(self) -> Client:
        # Sends run in threads, and twilio's Client builds its `api` lazily: built unguarded, a
        # second thread could replace the configured one and send to api.twilio.com instead.
        with self._client_lock:
            if self._client is None:
                client = Client(self.settings.account_sid, self.settings.auth_token)
                client.api.base_url = self.settings.api_base_url.rstrip("/")
                self._client = client
            return self._client

    def send(self, to: str, body: str, *, from_number: str | None = None, urgent: bool = False) -> Sent:
        """Send one SMS. `urgent` (an emergency answer) goes out even to a phone that opted out."""
        if not self.settings.configured:
            log.warning("sms.off: Twilio is not configured; message not sent")
            return Sent("off")
        if not urgent and self.opt_outs.opted_out(to):
            log.info("sms.opted_out: message not sent")
            return Sent("opted_out")
        sender = from_number or self.settings.from_number
        for attempt in range(1, self.attempts + 1):
            try:
                message = self.client().messages.create(
                    to=to,
                    body=body,
                    from_=sender if sender and not self.settings.messaging_service_sid else None,
                    messaging_service_sid=self.settings.messaging_service_sid or None,
                    status_callback=self.settings.status_callback,
                )
            except TwilioRestException as exc:
                if exc.code == UNSUBSCRIBED_RECIPIENT:
                    self.opt_outs.stop(to, "carrier")
                if exc.status not in RETRIED_STATUSES or attempt == self.attempts:
                    log.error("sms.failed status=%s code=%s attempt=%d", exc.status, exc.code, attempt)
                    return Sent("failed", error_code=exc.code)
            except (RequestException, TwilioException) as exc:
                if attempt == self.attempts:
                    log.error("sms.failed error=%s attempt=%d", type(exc).__name__, attempt)
                    return Sent("failed")
            else:
                log.info("sms.sent sid=%s attempt=%d", message.sid, attempt)
                return Sent("sent", sid=message.sid)
            delay = self.first_delay * 2 ** (attempt - 1)
            self.sleep(delay + random.uniform(0, delay / 2))
        return Sent("failed")  # pragma: no cover - the loop always returns
