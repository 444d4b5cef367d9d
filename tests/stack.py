"""The end-to-end tests' stack: `make run`'s script on spare ports, shared by the test session."""

from __future__ import annotations

import json
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.local_stack import StackError, local_stack, port_open

PORTS = {"RASA_PORT": 5105, "ACTIONS_PORT": 5155, "REDIS_PORT": 6391, "TWILIO_LOCAL_PORT": 5111}
AUTH_TOKEN = "e2e" + uuid.uuid4().hex  # the local Twilio server's token: the tests sign webhooks with it

__all__ = ["AUTH_TOKEN", "PORTS", "port_open", "say", "start_stack"]


def start_stack(run_dir: Path) -> Iterator[subprocess.Popen[str]]:
    try:
        with local_stack(PORTS, run_dir, AUTH_TOKEN) as process:
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
