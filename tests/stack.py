"""The end-to-end tests' stack: `make run`'s script on spare ports, shared by the test session."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.membership.demo import demo_registry_csv
from bot.membership.members import Member, parse_registry
from bot.membership.verification import eligibility
from tools.local_stack import StackError, local_stack, port_open

# E2E_PORT_OFFSET moves every port, so that two checkouts can run their end-to-end tests at once.
_OFFSET = int(os.environ.get("E2E_PORT_OFFSET", "0"))
PORTS = {
    name: port + _OFFSET
    for name, port in {
        "RASA_PORT": 5105,
        "ACTIONS_PORT": 5155,
        "REDIS_PORT": 6391,
        "TWILIO_LOCAL_PORT": 5111,
        "CONSOLE_PORT": 5120,
        "POSTGRES_PORT": 5141,
    }.items()
}
AUTH_TOKEN = "e2e" + uuid.uuid4().hex  # the local Twilio server's token: the tests sign webhooks with it
RASA_URL = f"http://127.0.0.1:{PORTS['RASA_PORT']}"
# A coop site allowed to embed the web chat, and one that is not.
OTHER_SITE_PORT, UNKNOWN_SITE_PORT = 5112 + _OFFSET, 5113 + _OFFSET
OTHER_SITE = f"http://127.0.0.1:{OTHER_SITE_PORT}"
JWT_SECRET = "jwt-" + uuid.uuid4().hex  # what coop sites sign logged-in members' tokens with
SETTINGS = {
    "WEB_ALLOWED_ORIGINS": f"{RASA_URL},http://localhost:{PORTS['RASA_PORT']},{OTHER_SITE}",
    "WEB_JWT_SECRET": JWT_SECRET,
    "HANDOFF_TIMEOUT_SECONDS": "8",  # short, so that the no-answer test waits seconds, not minutes
    # One Rasa process (make run starts one per core behind nginx; tests/scale runs two): the
    # end-to-end tests check behaviour, and one process starts faster on a busy test machine.
    "RASA_PROCESSES": "1",
}
CONSOLE_URL = f"http://127.0.0.1:{PORTS['CONSOLE_PORT']}"


def eligible_members() -> list[Member]:
    """Eligible demo members of the stack, one per phone (a phone is one SMS conversation), from the end of the file."""
    members = parse_registry(demo_registry_csv()).members
    phones = Counter(m.phone for m in members)
    chosen: dict[str, Member] = {}
    for member in members:
        if eligibility(member) == "ok" and phones[member.phone] > 1:  # single-phone ones serve other tests
            chosen[member.phone] = member
    return list(chosen.values())


def member_claims(number: str, seconds: int = 600) -> dict[str, object]:
    """What a coop site allowed to embed the chat signs for a logged-in member (bot/membership/web_identity.py)."""
    import time

    return {"sub": number, "exp": int(time.time()) + seconds, "aud": "coopsante-triage", "iss": OTHER_SITE}


__all__ = [
    "AUTH_TOKEN",
    "JWT_SECRET",
    "OTHER_SITE",
    "OTHER_SITE_PORT",
    "PORTS",
    "RASA_URL",
    "UNKNOWN_SITE_PORT",
    "eligible_members",
    "member_claims",
    "port_open",
    "say",
    "start_stack",
]


def start_stack(run_dir: Path, database_url: str) -> Iterator[subprocess.Popen[str]]:
    try:
        with local_stack(PORTS, run_dir, AUTH_TOKEN, {**SETTINGS, "DATABASE_URL": database_url}) as process:
            say("bonjour", sender="warm-up")  # the first prediction builds the model's graph: slow once
            yield process
    except StackError as error:
        pytest.fail(str(error))


def say(message: str, sender: str | None = None) -> list[str]:
    """Send a message over the REST channel; the bot's texts."""
    body = json.dumps({"sender": sender or f"test-{uuid.uuid4().hex}", "message": message}).encode()
    request = urllib.request.Request(
        f"http://localhost:{PORTS['RASA_PORT']}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return [m.get("text", "") for m in json.load(response)]
