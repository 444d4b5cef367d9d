"""The SMS channel for real: signed webhooks in over HTTP, replies out through the `twilio` library.

`make run`'s stack runs with its local Twilio-compatible server (tools/twilio_local.py). These tests
sign webhooks with the real `twilio` request validator and read what the bot sent from that server.
"""

from __future__ import annotations

import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from typing import Any

import pytest
import redis
from twilio.request_validator import RequestValidator

from bot.membership.demo import demo_registry_csv
from bot.membership.members import Member, parse_registry
from bot.membership.verification import eligibility
from bot.platform.sms_text import segment_count
from bot.platform.text import normalise
from tests.stack import AUTH_TOKEN, PORTS
from tools.sms_client import SmsClient

WEBHOOK = f"http://127.0.0.1:{PORTS['RASA_PORT']}/webhooks/sms/webhook"
TWILIO = f"http://127.0.0.1:{PORTS['TWILIO_LOCAL_PORT']}"
VAL_MORIN, HAUTES_LAURENTIDES = "+18195550100", "+18195550200"


CLIENT = SmsClient(WEBHOOK, TWILIO, AUTH_TOKEN)


def new_phone() -> str:
    return f"+1873555{random.randrange(10_000):04d}"


def webhook(body: str, phone: str, to: str = VAL_MORIN, sid: str | None = None, **extra: str) -> int:
    return CLIENT.post(body, phone, to, sid, **extra)


def sent_to(phone: str) -> list[dict[str, Any]]:
    return CLIENT.sent_to(phone)


def wait_for(phone: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
    messages = CLIENT.wait_for(phone, count, timeout)
    assert len(messages) >= count, f"{count} SMS expected, {len(messages)} sent"
    return messages


def exchange(body: str, phone: str, to: str = VAL_MORIN) -> str:
    return "\n".join(CLIENT.exchange(body, phone, to))


def control(path: str, payload: dict[str, Any]) -> None:
    request = urllib.request.Request(
        TWILIO + path, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=5).close()


def test_unsigned_and_forged_webhooks_are_refused(stack: object) -> None:
    phone = new_phone()
    params = {"MessageSid": "SM" + uuid.uuid4().hex, "From": phone, "To": VAL_MORIN, "Body": "j'ai mal à la poitrine"}
    assert CLIENT.post_raw(params, signature="") == 403
    assert CLIENT.post_raw(params, signature="bm90IGEgc2lnbmF0dXJl") == 403
    assert CLIENT.post_raw(params, RequestValidator("not-the-token").compute_signature(WEBHOOK, params)) == 403
    signed = RequestValidator(AUTH_TOKEN).compute_signature(WEBHOOK, params)
    assert CLIENT.post_raw({**params, "Body": "bonjour"}, signed) == 403  # the body was changed on the way
    time.sleep(1)
    assert sent_to(phone) == []


def test_chest_pain_from_a_new_number_gets_911_within_3_seconds_and_a_retry_sends_nothing(stack: object) -> None:
    phone, sid = new_phone(), "SM" + uuid.uuid4().hex
    start = time.monotonic()
    assert webhook("j'ai mal à la poitrine", phone, sid=sid) == 200
    answered = time.monotonic() - start
    first = wait_for(phone, 1, timeout=3)
    assert "911" in first[0]["body"]
    assert answered < 1, "Twilio must get its answer at once"
    assert time.monotonic() - start < 3
    time.sleep(1)
    sent = len(sent_to(phone))
    assert webhook("j'ai mal à la poitrine", phone, sid=sid) == 200  # Twilio's retry
    time.sleep(1.5)
    assert len(sent_to(phone)) == sent


def test_stop_is_confirmed_once_and_honoured_until_start(stack: object) -> None:
    phone = new_phone()
    exchange("bonjour", phone)
    before = len(sent_to(phone))
    reply = exchange("ARRET", phone)
    assert "START" in reply and "ne recevrez plus" in reply
    assert webhook("arrêt", phone) == 200
    assert webhook("c'est quoi vos heures d'ouverture?", phone) == 200
    time.sleep(2)
    assert len(sent_to(phone)) == before + 1
    # An emergency is still answered.
    assert "911" in exchange("j'ai de la misère à respirer pis mes lèvres sont bleues", phone)
    count = len(sent_to(phone))
    assert webhook("merci", phone) == 200
    time.sleep(1.5)
    assert len(sent_to(phone)) == count
    assert "de nouveau" in exchange("START", phone)
    assert "lundi" in exchange("c'est quoi vos heures d'ouverture?", phone)


def test_help_is_bilingual_with_the_coop_contact(stack: object) -> None:
    reply = exchange("AIDE", new_phone(), to=HAUTES_LAURENTIDES)
    assert "819 555-0200" in reply and "Emergency" in reply and "911" in reply


def test_the_number_texted_selects_the_coop_and_the_reply_comes_from_it(stack: object) -> None:
    phone = new_phone()
    reply = exchange("c'est quoi vos heures d'ouverture?", phone, to=HAUTES_LAURENTIDES)
    assert "lundi au vendredi de 8 h à 17 h" in reply
    assert sent_to(phone)[-1]["from"] == HAUTES_LAURENTIDES
    reply = exchange("c'est quoi vos heures d'ouverture?", new_phone(), to=VAL_MORIN)
    assert "lundi au jeudi" in reply


@pytest.mark.parametrize(
    ("body", "extra", "expected"),
    [
        ("", {"NumMedia": "1", "MediaUrl0": "https://example.invalid/p.jpg"}, "photos"),
        ("", {}, "vide"),
        ("😀😀😀", {}, "lire votre message"),
        ("\ufffd\ufffd\ufffd", {}, "vide"),
        ("j'ai mal au ventre " * 120, {}, "très long"),
    ],
)
def test_bad_input_gets_a_clear_reply(stack: object, body: str, extra: dict[str, str], expected: str) -> None:
    phone = new_phone()
    assert webhook(body, phone, **extra) == 200
    replies = " ".join(m["body"] for m in wait_for(phone, 1))
    assert expected in replies


def test_twilio_busy_is_retried(stack: object) -> None:
    control("/_local/faults", {"status": 429, "count": 2})
    phone = new_phone()
    assert "911" in exchange("j'ai mal à la poitrine", phone)


def test_a_failed_delivery_is_recorded(stack: object) -> None:
    phone = new_phone()
    control("/_local/undeliverable", {"numbers": [phone]})
    client = redis.Redis(port=PORTS["REDIS_PORT"], decode_responses=True)
    before = client.xlen("coopsante:sms:livraison")
    exchange("bonjour", phone)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and client.xlen("coopsante:sms:livraison") == before:
        time.sleep(0.1)
    entry = client.xrevrange("coopsante:sms:livraison", count=1)[0][1]
    assert entry["statut"] == "undelivered" and entry["erreur"] == "30003"
    assert phone not in json.dumps(entry)


def demo_members() -> list[Member]:
    """Demo members who may use telemedicine, each alone on their phone."""
    members = parse_registry(demo_registry_csv()).members
    phones = Counter(m.phone for m in members)
    return [m for m in members if eligibility(m) == "ok" and phones[m.phone] == 1]


def demo_member() -> Member:
    return demo_members()[1]


def test_a_member_answers_buttons_with_numbers(stack: object) -> None:
    member = demo_member()
    exchange("je voudrais un rendez-vous avec un medecin", member.phone)
    exchange("oui", member.phone)
    question = exchange(member.birth_date.strftime("%d/%m/%Y"), member.phone)
    assert "1. Pour moi" in question and "Répondez 1, 2 ou 3" in question
    assert "quel age" in exchange("2", member.phone).lower()  # for a child, the age comes first
    assert "depuis" in exchange("4 ans", member.phone).lower()


def test_a_member_wanders_leaves_and_is_not_trapped_over_sms(stack: object) -> None:
    # Issue 15 over the real channel: a question in the middle of a form, a way out, and "mes
    # rendez-vous" that lets go of the member after the list.
    member = demo_members()[0]
    phone = member.phone
    assert "OUI" in exchange("je voudrais un rendez-vous avec un medecin", phone)  # the consent notice
    hours = exchange("c'est quoi vos heures?", phone)
    assert "lundi au jeudi" in hours and "OUI" in hours  # the answer, then the notice again
    exchange("oui", phone)
    assert "1. Pour moi" in exchange(member.birth_date.strftime("%d/%m/%Y"), phone)
    assert "on arrete la" in normalise(exchange("laisse faire", phone))
    assert "aucun rendez vous a venir" in normalise(exchange("mes rendez-vous", phone))
    after = normalise(exchange("c'est quoi votre adresse?", phone))
    assert "aucun rendez vous" not in after and "rue principale" in after


def test_every_reply_is_gsm7_and_at_most_3_segments(stack: object) -> None:
    phone = new_phone()
    for text in ("bonjour", "c'est quoi vos heures?", "j'ai le rhume", "je veux mourir"):
        exchange(text, phone)
    for message in sent_to(phone):
        assert segment_count(message["body"]) <= 3
        assert int(message["num_segments"]) <= 3


@pytest.fixture(scope="module")
def erased_over_sms(stack: object, database_url: str) -> tuple[Member, list[str]]:
    """A member opens a ticket and books a consultation over SMS, then erases their data over SMS;
    what is left: every Redis key with its value and every PostgreSQL row but the coop's member
    file, one line each."""
    from sqlalchemy import create_engine

    from tests.footprint import database_dump, redis_dump
    from tests.stack import eligible_members

    member = eligible_members()[3]  # a family's phone; the single-phone members serve other tests
    phone = member.phone
    exchange("je voudrais parler à une infirmière, j'ai mal au dos depuis hier", phone)
    exchange("oui", phone)  # consent
    exchange(member.birth_date.strftime("%d/%m/%Y"), phone)
    exchange("pour moi", phone)
    assert "infirmi" in exchange("depuis hier", phone).lower()  # the ticket is open
    exchange("annuler", phone)  # the member lets it go: the closed ticket is kept, naming them
    exchange("je voudrais un rendez-vous pour une verrue", phone)
    exchange("pour moi", phone)
    exchange("depuis deux semaines", phone)
    exchange("téléphone", phone)
    exchange("la semaine prochaine", phone)
    assert "réservé" in exchange("1", phone)
    reply = exchange("effacez mes données", phone)
    assert "effacé" in reply and "dossier de membre" in reply
    time.sleep(1.5)  # the tracker store forgets the conversation once the turn ends

    client = redis.Redis(port=PORTS["REDIS_PORT"], decode_responses=True)
    engine = create_engine(database_url.rsplit("/", 1)[0] + "/stack", future=True)
    left = (redis_dump(client) + "\n" + database_dump(engine)).splitlines()
    engine.dispose()
    return member, left


def naming(member: Member, lines: list[str]) -> list[str]:
    names = (member.phone, member.phone[2:], member.number, f"{member.first_name} {member.last_name}")
    return [line for line in lines if any(name in line for name in names)]


def test_a_member_erased_over_sms_leaves_no_conversation_consent_or_key_that_names_them(
    erased_over_sms: tuple[Member, list[str]],
) -> None:
    """What this branch erases: conversations, consent, every Redis key that names the member.
    Tickets and bookings (`coopsante:relais:`, `coopsante:rdv:`) are the next test's."""
    member, left = erased_over_sms
    desk_records = ("coopsante:relais:", "coopsante:rdv:")
    assert [line for line in naming(member, left) if not line.startswith(desk_records)] == []


def test_a_member_erased_over_sms_leaves_nothing_that_names_them(erased_over_sms: tuple[Member, list[str]]) -> None:
    """Issue 16's done-when: after a ticket, a booking and an erasure over SMS, no Redis key or
    value and no PostgreSQL row (the coop's member file aside) names the member."""
    member, left = erased_over_sms
    assert naming(member, left) == []


def test_every_key_the_stack_wrote_has_a_retention_rule(stack: object) -> None:
    """Drive the stack (every test of this module before this one), then check each Redis key: its
    family has a rule, and a key whose family expires has a TTL (bot/records/retention.py)."""
    from bot.records.retention import rule_for

    exchange("c'est quoi vos heures d'ouverture?", new_phone())
    client = redis.Redis(port=PORTS["REDIS_PORT"], decode_responses=True)
    keys = list(client.scan_iter("*"))
    assert keys
    for key in keys:
        rule = rule_for(key)
        assert rule is not None, f"{key}: no retention rule"
        if rule.kind == "expiry":
            assert client.ttl(key) > 0, f"{key}: its family expires, but the key has no TTL"
