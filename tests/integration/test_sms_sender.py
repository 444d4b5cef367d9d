"""Sending through the real `twilio` library to the local Twilio-compatible server."""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from tests.conftest import LocalTwilio

PHONE = "+18735550142"


@pytest.fixture
def sender(twilio_local: LocalTwilio, redis_client: Any) -> SmsSender:
    settings = TwilioSettings.from_env(twilio_local.environment())
    return SmsSender(settings, OptOuts(redis_client), sleep=lambda _: None)


def fault(twilio_local: LocalTwilio, status: int, count: int) -> None:
    request = urllib.request.Request(
        f"{twilio_local.base_url}/_local/faults",
        data=json.dumps({"status": status, "count": count}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=5).close()


def test_a_message_is_sent_from_the_given_number(sender: SmsSender, twilio_local: LocalTwilio) -> None:
    result = sender.send(PHONE, "Bonjour", from_number="+18195550200")
    assert result.outcome == "sent" and result.sid and result.sid.startswith("SM")
    last = twilio_local.sent_to(PHONE)[-1]
    assert last["body"] == "Bonjour" and last["from"] == "+18195550200" and last["sid"] == result.sid


def test_busy_and_server_errors_are_retried(sender: SmsSender, twilio_local: LocalTwilio) -> None:
    fault(twilio_local, 429, 1)
    fault(twilio_local, 503, 1)
    assert sender.send(PHONE, "Essai après erreurs").outcome == "sent"


def test_giving_up_after_the_last_attempt(sender: SmsSender, twilio_local: LocalTwilio) -> None:
    fault(twilio_local, 500, sender.attempts)
    result = sender.send(PHONE, "Jamais envoyé")
    assert result.outcome == "failed"
    assert all(m["body"] != "Jamais envoyé" for m in twilio_local.sent_to(PHONE))


def test_a_refused_message_is_not_retried(sender: SmsSender, twilio_local: LocalTwilio) -> None:
    fault(twilio_local, 503, 1)  # would be used up by a retry
    assert sender.send("not-a-phone", "x").outcome == "failed"
    assert sender.send(PHONE, "après").outcome == "sent"  # the fault is still waiting: one retry


def test_an_opted_out_phone_gets_nothing_but_an_emergency_answer(
    sender: SmsSender, twilio_local: LocalTwilio, redis_client: Any
) -> None:
    OptOuts(redis_client).stop(PHONE, "keyword")
    before = len(twilio_local.sent_to(PHONE))
    assert sender.send(PHONE, "Rappel de rendez-vous").outcome == "opted_out"
    assert sender.send(PHONE, "Appelez le 911 maintenant.", urgent=True).outcome == "sent"
    assert [m["body"] for m in twilio_local.sent_to(PHONE)[before:]] == ["Appelez le 911 maintenant."]


def test_without_credentials_nothing_is_sent(redis_client: Any) -> None:
    sender = SmsSender(TwilioSettings.from_env({}), OptOuts(redis_client))
    assert sender.send(PHONE, "x").outcome == "off"


def test_settings_from_the_environment() -> None:
    settings = TwilioSettings.from_env(
        {
            "TWILIO_ACCOUNT_SID": "AC1",
            "TWILIO_AUTH_TOKEN": "t",
            "TWILIO_MESSAGING_SERVICE_SID": "MG1",
            "PUBLIC_BASE_URL": "https://triage.example/",
        }
    )
    assert settings.configured and settings.api_base_url == "https://api.twilio.com"
    assert settings.status_callback == "https://triage.example/webhooks/sms/status"


def test_first_sends_from_many_threads_all_reach_the_configured_server(
    sender: SmsSender, twilio_local: LocalTwilio
) -> None:
    # The channel sends from worker threads; a fresh sender's first sends race to build the client.
    phones = [f"+1873555{n:04d}" for n in range(300, 312)]
    with ThreadPoolExecutor(len(phones)) as pool:
        results = list(pool.map(lambda phone: sender.send(phone, "Bonjour"), phones))
    assert [r.outcome for r in results] == ["sent"] * len(phones)
    assert all(twilio_local.sent_to(phone) for phone in phones)
