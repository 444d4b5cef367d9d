"""Several Rasa processes behind nginx, under load and faults (`make test-scale`, a few minutes).

`make run`'s script with RASA_PROCESSES=2: two Rasa servers behind nginx, sharing Redis (tracker
and lock stores, Socket.IO manager) and the action server. supervisord restarts any process that
dies (deploy/processes.toml, tools/supervise.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from twilio.request_validator import RequestValidator

from bot.booking.availability import QUEBEC, Block, slots_of
from bot.booking.store import Booking, BookingStore
from bot.handoff.desk import HandoffDesk, Ticket, new_ticket_id
from bot.records.database import engine_for
from tools import postgres_local
from tools.local_stack import local_stack

pytestmark = pytest.mark.scale

PORTS = {
    "RASA_PORT": 5305,
    "ACTIONS_PORT": 5355,
    "REDIS_PORT": 6393,
    "TWILIO_LOCAL_PORT": 5311,
    "CONSOLE_PORT": 5320,
    "POSTGRES_PORT": 5344,
}
FRONT = f"http://127.0.0.1:{PORTS['RASA_PORT']}"
TOKEN = uuid.uuid4().hex
# Questions with a distinctive word in their answer: a reply can be matched to its question.
QUESTIONS = [
    ("c'est quoi vos heures d'ouverture?", "lundi"),
    ("c quoi le 811", "811"),
    ("quels services vous offrez a la coop", "vaccination"),
    ("comment devenir membre de la coop", "part sociale"),
    ("c'est combien par mois la telemedecine", "8 $"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    run_dir = tmp_path_factory.mktemp("scale")
    settings = {"RASA_PROCESSES": "2", "TICKET_LOCK_LIFETIME": "20"}
    with local_stack(PORTS, run_dir, TOKEN, settings):
        _post("/webhooks/rest/webhook", {"sender": "warm-up", "message": "bonjour"})
        yield run_dir


@pytest.fixture(scope="module")
def stack_database(stack: Path) -> Iterator[Any]:
    """An engine on this stack's own PostgreSQL (scripts/run.sh starts it on POSTGRES_PORT)."""
    engine = engine_for(postgres_local.url(PORTS["POSTGRES_PORT"]))
    yield engine
    engine.dispose()


def _post(path: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        FRONT + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return list(json.load(response))


def _tracker_texts(sender: str) -> list[str]:
    with urllib.request.urlopen(f"{FRONT}/conversations/{sender}/tracker", timeout=30) as response:
        events = json.load(response)["events"]
    return [e["text"] for e in events if e["event"] == "user"]


async def _conversation(session: aiohttp.ClientSession, sender: str, count: int, log: list[Any]) -> None:
    for n in range(count):
        question, expected = QUESTIONS[n % len(QUESTIONS)]
        text = f"{question} ({n})"
        started = time.monotonic()
        try:
            async with session.post(
                f"{FRONT}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            ) as response:
                status = response.status
                replies = await response.json() if status == 200 else []
        except aiohttp.ClientError:
            status, replies = 0, []
        answer = " ".join(r.get("text", "") for r in replies)
        log.append((sender, n, status, expected in answer, time.monotonic() - started))


async def _load(conversations: int, messages: int, during: Any = None) -> list[Any]:
    log: list[Any] = []
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=conversations)) as session:
        senders = [f"charge-{uuid.uuid4().hex[:10]}" for _ in range(conversations)]
        tasks = [asyncio.create_task(_conversation(session, s, messages, log)) for s in senders]
        if during:
            await during()
        await asyncio.gather(*tasks)
    return log


def test_200_conversations_of_10_messages_across_two_processes(stack: Path) -> None:
    log = asyncio.run(_load(200, 10))
    assert len(log) == 2000
    assert all(status == 200 for _, _, status, _, _ in log), Counter(s for _, _, s, _, _ in log)
    assert all(matched for _, _, _, matched, _ in log), "every reply answers its own question"
    senders = sorted({sender for sender, *_ in log})
    for sender in senders[::10]:  # every conversation's messages, once each and in order
        expected = [f"{QUESTIONS[n % 5][0]} ({n})" for n in range(10)]
        assert _tracker_texts(sender) == expected
    served = [_messages_served(PORTS["RASA_PORT"] + i) for i in (1, 2)]
    assert min(served) > 300, f"both processes take a share: {served}"


def _messages_served(port: int) -> int:
    """REST messages one Rasa process has read, from its own Prometheus metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/webhooks/metrics/", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith('coopsante_messages_total{canal="rest"}'):
                return int(float(line.split()[-1]))
    return 0


def _pid_listening(port: int) -> int:
    output = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True).stdout
    return int(output.split("pid=")[1].split(",")[0])


def test_a_rasa_process_killed_under_load(stack: Path) -> None:
    async def kill_one() -> None:
        await asyncio.sleep(3)
        os.kill(_pid_listening(PORTS["RASA_PORT"] + 1), signal.SIGKILL)

    log = asyncio.run(_load(60, 10, kill_one))
    failed = [entry for entry in log if entry[2] != 200]
    assert len(failed) <= 60, "at most the messages in flight on the killed process fail"
    last = {sender: status for sender, n, status, _, _ in log if n == 9}
    assert all(status == 200 for status in last.values()), "every conversation goes on"
    for sender in {sender for sender, *_ in log}:
        texts = _tracker_texts(sender)
        assert len(texts) == len(set(texts)), "no message processed twice"
        numbers = [int(t.rsplit("(", 1)[1].rstrip(")")) for t in texts]
        assert numbers == sorted(numbers), "in order"


def test_redis_killed_and_restarted_keeps_everything(stack: Path, stack_database: Any) -> None:
    client = redis.Redis(port=PORTS["REDIS_PORT"], decode_responses=True)
    phone = "+18735550777"
    sid = "SM" + uuid.uuid4().hex
    webhook = f"{FRONT}/webhooks/sms/webhook"
    params = {"MessageSid": sid, "From": phone, "To": "+18195550100", "Body": "ARRET", "NumMedia": "0"}
    signature = RequestValidator(TOKEN).compute_signature(webhook, params)
    request = urllib.request.Request(
        webhook, data=urllib.parse.urlencode(params).encode(), headers={"X-Twilio-Signature": signature}
    )
    urllib.request.urlopen(request, timeout=10).close()
    time.sleep(2)
    booking = _a_booking(stack_database)
    ticket = HandoffDesk(stack_database, client).open(
        Ticket(new_ticket_id(), "+18735550778", "sms", "val-morin", "clinicien", [], {"motif": "test"})
    )
    keys_before = {k for k in client.scan_iter("coopsante:*") if not k.startswith("coopsante:lock")}
    assert any(k.startswith("coopsante:sms:desabonne:") for k in keys_before)
    os.kill(_pid_listening(PORTS["REDIS_PORT"]), signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if client.ping():
                break
        except redis.ConnectionError:
            time.sleep(0.3)
    keys_after = {k for k in client.scan_iter("coopsante:*") if not k.startswith("coopsante:lock")}
    assert keys_before <= keys_after, sorted(keys_before - keys_after)[:5]
    assert BookingStore(stack_database).get(booking.id) is not None  # records are in PostgreSQL: untouched
    assert HandoffDesk(stack_database, client).get(ticket.id) is not None
    urllib.request.urlopen(request, timeout=10).close()  # Twilio retries the same MessageSid
    time.sleep(2)
    with urllib.request.urlopen(
        f"http://127.0.0.1:{PORTS['TWILIO_LOCAL_PORT']}/_local/messages?to=%2B18735550777"
    ) as r:
        assert len(json.load(r)) == 1, "the opt-out was confirmed once, the retry did nothing"
    assert "lundi" in " ".join(
        m["text"] for m in _post("/webhooks/rest/webhook", {"sender": "apres", "message": QUESTIONS[0][0]})
    )


def _a_booking(engine: Any) -> Booking:
    start = datetime.now(QUEBEC) + timedelta(days=5)
    block = Block("dre@coop.example", "medecin", "val-morin", ("video",), start, start + timedelta(minutes=15))
    [slot] = list(slots_of(block, 15))
    booking = BookingStore(engine).book(
        slot,
        member_number="VM-999999",
        member_name="Test",
        conversation="+18735550779",
        channel="sms",
        need="consultation",
        summary={},
        modality="video",
    )
    assert booking is not None
    return booking


def test_thousands_of_bad_payloads_get_no_5xx(stack: Path) -> None:
    import random

    random.seed(7)
    doors = [
        "/webhooks/rest/webhook",
        "/webhooks/sms/webhook",
        "/webhooks/sms/status",
        "/socket.io/?EIO=4&transport=polling",
    ]
    console = f"http://127.0.0.1:{PORTS['CONSOLE_PORT']}"

    def payload() -> bytes:
        kind = random.randrange(6)
        if kind == 0:
            return bytes(random.randrange(256) for _ in range(random.randrange(1, 300)))
        if kind == 1:
            return json.dumps(
                {"sender": random.choice([None, 1, "x", [], {}]), "message": random.choice([None, 5, "", "é" * 5000])}
            ).encode()
        if kind == 2:
            return b"{" * random.randrange(1, 2000)
        if kind == 3:
            return urllib.parse.urlencode({"Body": "x" * random.randrange(5000), "From": "+1"}).encode()
        if kind == 4:
            return json.dumps({"message": "\udcff".encode("utf-8", "surrogatepass").decode("latin-1")}).encode()
        return b""

    failures: list[tuple[str, str, bytes]] = []

    async def fire() -> Counter[int]:
        statuses: Counter[int] = Counter()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            for _ in range(2000):
                url = random.choice(
                    [FRONT + d for d in doors] + [console + "/connexion", console + "/tickets/x/prendre"]
                )
                content_type = random.choice(["application/json", "application/x-www-form-urlencoded", "text/plain"])
                body = payload()
                try:
                    async with session.post(url, data=body, headers={"Content-Type": content_type}) as response:
                        statuses[response.status] += 1
                        if response.status >= 500:
                            failures.append((url, content_type, body[:60]))
                except aiohttp.ClientError:
                    statuses[0] += 1
        return statuses

    statuses = asyncio.run(fire())
    assert not [s for s in statuses if s >= 500 or s == 0], (statuses, failures[:5])
    assert "lundi" in " ".join(
        m["text"] for m in _post("/webhooks/rest/webhook", {"sender": "fin", "message": QUESTIONS[0][0]})
    )
