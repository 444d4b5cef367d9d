"""`make run`'s script, for real: Redis, the action server and Rasa, spoken to over HTTP.

Starts scripts/run.sh on spare ports, talks to the REST channel as a client would, checks that
conversations land in Redis with an expiry, then presses Ctrl-C and checks nothing is left.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.members import Member, parse_registry
from bot.verification import eligibility
from tools.demo_members import demo_registry_csv

ROOT = Path(__file__).resolve().parent.parent
PORTS = {"RASA_PORT": 5105, "ACTIONS_PORT": 5155, "REDIS_PORT": 6391}


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[subprocess.Popen[str]]:
    busy = [p for p in PORTS.values() if port_open(p)]
    if busy:
        pytest.fail(f"ports {busy} are busy: stop what uses them")
    env = {**os.environ, **{k: str(v) for k, v in PORTS.items()}, "RUN_DIR": str(tmp_path_factory.mktemp("run"))}
    env.pop("REDIS_URL", None)
    process = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 300
    output = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        output.append(line)
        if "is up" in line:
            break
        if process.poll() is not None:
            pytest.fail("run.sh stopped:\n" + "".join(output))
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("run.sh did not come up:\n" + "".join(output))
    yield process
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def say(message: str, sender: str | None = None) -> list[str]:
    body = json.dumps({"sender": sender or f"test-{uuid.uuid4().hex}", "message": message}).encode()
    request = urllib.request.Request(
        f"http://localhost:{PORTS['RASA_PORT']}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return [m.get("text", "") for m in json.load(response)]


def test_hours_in_french(stack: subprocess.Popen[str]) -> None:
    replies = say("c'est quoi vos heures d'ouverture?", sender="x")
    assert "lundi" in replies[0] and "8 h" in replies[0]


@pytest.mark.parametrize(
    ("message", "resource"),
    [
        ("j'ai mal à la poitrine", "911"),
        ("mon pere a la bouche croche pis il parle pu", "911"),
        ("je veux mourir", "1 866 APPELLE"),
        ("mon bebe de 5 semaines fait 38.5", "811"),
    ],
)
def test_a_new_sender_in_danger_gets_the_resource_first(
    stack: subprocess.Popen[str], message: str, resource: str
) -> None:
    replies = say(message)
    assert resource in replies[0]


def test_why_after_an_emergency(stack: subprocess.Popen[str]) -> None:
    sender = f"test-{uuid.uuid4().hex}"
    assert "911" in say("jai mal dans la poitrine ca serre", sender)[0]
    assert "poitrine" in " ".join(say("pourquoi?", sender))


def test_conversations_are_kept_in_redis_with_an_expiry(stack: subprocess.Popen[str]) -> None:
    sender = f"test-{uuid.uuid4().hex}"
    say("allo", sender)
    client = redis.Redis(port=PORTS["REDIS_PORT"])
    keys = [k for k in client.keys("*") if sender.encode() in k]
    assert keys, "tracker not in Redis"
    assert 0 < client.ttl(keys[0]) <= 30 * 86400


def demo_member() -> Member:
    """An active demo member with the telemedicine plan, alone on their phone."""
    members = parse_registry(demo_registry_csv()).members
    phones = Counter(m.phone for m in members)
    return next(m for m in members if eligibility(m) == "ok" and phones[m.phone] == 1)


def test_an_unknown_web_sender_asking_for_an_appointment_is_asked_to_identify(stack: subprocess.Popen[str]) -> None:
    sender = f"web-{uuid.uuid4().hex}"
    first = say("je voudrais prendre un rendez-vous avec un medecin", sender)
    assert "Acceptez-vous" in first[-1]
    assert "numéro de membre" in say("oui", sender)[-1]


def test_a_demo_member_verifies_by_sms_and_a_wrong_date_shows_no_name(stack: subprocess.Popen[str]) -> None:
    member = demo_member()
    sender = member.phone
    say("je voudrais un rendez-vous", sender)
    assert "date de naissance" in say("oui", sender)[-1]
    wrong = " ".join(say("1 janvier 1901", sender))
    assert "ne correspondent pas" in wrong
    assert member.first_name not in wrong and member.last_name not in wrong
    right = say(member.birth_date.strftime("%d/%m/%Y"), sender)
    assert f"Merci {member.first_name}" in right[0]
    assert "pour vous" in right[-1]  # the summary form starts


def test_a_verified_member_erases_the_conversation(stack: subprocess.Popen[str]) -> None:
    member = demo_member()
    sender = member.phone
    client = redis.Redis(port=PORTS["REDIS_PORT"])
    say("je voudrais un rendez-vous", sender)
    say("oui", sender)
    say(member.birth_date.isoformat(), sender)
    assert [k for k in client.keys("*tracker*") if sender.encode() in k]
    assert "effacées" in " ".join(say("effacez mes données", sender))
    assert not [k for k in client.keys("*tracker*") if sender.encode() in k]


def test_ctrl_c_stops_everything(stack: subprocess.Popen[str]) -> None:
    os.killpg(stack.pid, signal.SIGINT)
    stack.wait(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(port_open(p) for p in PORTS.values()):
        time.sleep(0.5)
    assert not [p for p in PORTS.values() if port_open(p)]
