"""`make run`'s script, for real: Redis, the action server and Rasa, spoken to over HTTP.

The `stack` fixture (tests/stack.py) starts scripts/run.sh on spare ports; these tests talk to the
REST channel as a client would, check that conversations land in Redis with an expiry, then press
Ctrl-C and check nothing is left.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
import uuid
from collections import Counter

import pytest
import redis

from bot.membership.demo import demo_registry_csv
from bot.membership.members import Member, parse_registry
from bot.membership.verification import eligibility
from tests.stack import PORTS, port_open, say


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
    assert "effacés" in " ".join(say("effacez mes données", sender))
    assert not [k for k in client.keys("*tracker*") if sender.encode() in k]


@pytest.mark.last  # it stops the stack the other end-to-end tests share
def test_ctrl_c_stops_everything(stack: subprocess.Popen[str]) -> None:
    os.killpg(stack.pid, signal.SIGINT)
    stack.wait(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(port_open(p) for p in PORTS.values()):
        time.sleep(0.5)
    assert not [p for p in PORTS.values() if port_open(p)]


def test_a_demo_member_books_lists_and_cancels_a_consultation(stack: subprocess.Popen[str]) -> None:
    from tests.stack import eligible_members

    member = eligible_members()[0]
    sender = member.phone  # over REST, a phone as sender id takes the SMS identity path
    say("je voudrais un rendez-vous pour une verrue", sender)
    say("oui", sender)
    assert "pour vous" in say(member.birth_date.isoformat(), sender)[-1]
    say("pour moi", sender)
    assert "Comment préférez-vous consulter?" in say("depuis deux semaines", sender)[-1]
    assert "Quand vous conviendrait?" in say("vidéo", sender)[-1]
    assert "plages libres" in " ".join(say("la semaine prochaine", sender))
    confirmed = " ".join(say("1", sender))
    assert "C'est réservé" in confirmed and "vidéo" in confirmed
    listed = " ".join(say("mes rendez-vous", sender))
    assert "Votre rendez-vous" in listed and "Que voulez-vous faire?" in listed
    assert "C'est annulé" in " ".join(say("annuler 1", sender))
    assert "aucun rendez-vous" in " ".join(say("mes rendez-vous", sender))


def test_prometheus_metrics(stack: subprocess.Popen[str]) -> None:
    say("c'est quoi vos heures?")
    with urllib.request.urlopen(f"http://localhost:{PORTS['RASA_PORT']}/webhooks/metrics/", timeout=10) as response:
        text = response.read().decode()
    assert 'coopsante_messages_total{canal="rest"}' in text
    assert "coopsante_dispositions_total" in text and "coopsante_relais_en_attente" in text
