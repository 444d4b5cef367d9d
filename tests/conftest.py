"""Shared fixtures: project paths, the loaded rules and content, and the trained model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot.content import Content, load_content
from bot.triage import Triage, load_triage

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "coop-sante.tar.gz"
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def triage() -> Triage:
    """The clinical table and the classifier (trained on safety/corpus, cached under models/)."""
    return load_triage(ROOT / "safety", ROOT / "models")


@pytest.fixture(scope="session")
def triage_rules() -> Triage:
    """The clinical table alone: what the rules decide, without the classifier."""
    return load_triage(ROOT / "safety", with_classifier=False)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(ROOT / "content")


@pytest.fixture(scope="session")
def live_triage() -> Iterator[object]:
    """The trained model with the safety layer, as a live conversation uses them."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")
    from tools.live_triage import LiveTriage

    yield LiveTriage(MODEL)


def wait_for_redis(client: Any) -> None:
    """Until a Redis server that was just started answers (up to 5 s)."""
    import time

    import redis

    for _ in range(100):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.05)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server for the tests, on a free port, thrown away afterwards."""
    import socket
    import subprocess

    import redis

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data_dir = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    wait_for_redis(redis.Redis.from_url(url))
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A real PostgreSQL server for the tests (a throwaway cluster), migrated to the newest schema."""
    import shutil
    import signal
    import socket
    import subprocess
    import tempfile

    from tools import postgres_local

    # Not under pytest's tmp folder: as root the server runs as `postgres`, which must reach its folder.
    data_dir = Path(tempfile.mkdtemp(prefix="coopsante-pg-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    postgres_local.init(data_dir)
    log_path = data_dir.with_suffix(".log")
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            postgres_local.server_command(data_dir, port, throwaway=True), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield postgres_local.prepare(port)
        finally:
            server.send_signal(signal.SIGINT)  # fast shutdown: a connection a test left open does not hold it
            server.wait(timeout=30)
            shutil.rmtree(data_dir, ignore_errors=True)
    log_path.unlink(missing_ok=True)


def new_database(database_url: str, name: str) -> str:
    """An empty database `name` on the tests' server (dropped first if it exists); its URL."""
    from sqlalchemy import text

    from bot.records.database import engine_for

    server = database_url.rsplit("/", 1)[0]
    admin = engine_for(server + "/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"{server}/{name}"


@pytest.fixture
def database(database_url: str) -> Iterator[Any]:
    """An engine on the test database, every table emptied first."""
    from bot.records.database import empty, engine_for

    engine = engine_for(database_url)
    empty(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    """A client on a freshly emptied database."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[object]:
    """`make run`'s script on spare ports (tests/stack.py), started once for every end-to-end test.

    Its records are in a database of their own on the tests' PostgreSQL server, so that the tests
    that empty the `database` fixture's tables do not empty the stack's."""
    from tests.stack import start_stack

    yield from start_stack(tmp_path_factory.mktemp("run"), new_database(database_url, STACK_DATABASE))


STACK_DATABASE = "stack"


@pytest.fixture(scope="session")
def stack_database(stack: object, database_url: str) -> Iterator[Any]:
    """An engine on the end-to-end stack's own database (see `stack`)."""
    from bot.records.database import engine_for

    engine = engine_for(database_url.rsplit("/", 1)[0] + "/" + STACK_DATABASE)
    yield engine
    engine.dispose()


TIERS = ("unit", "integration", "e2e", "browser", "scale")  # tests/<tier>/: the marker of its tests (pyproject.toml)
STACK_TIERS = ("e2e", "browser", "scale")  # the tiers on make run's stack (fixed ports)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "last: run after every other test (it stops something they share)")


def pytest_itemcollected(item: pytest.Item) -> None:
    """A test is marked with its folder's tier, so that `-m unit` (etc.) selects a tier."""
    folder = item.path.relative_to(ROOT / "tests").parts[0]
    if folder not in TIERS:
        raise pytest.UsageError(f"{item.nodeid}: a test belongs in one of tests/{{{','.join(TIERS)}}}/")
    item.add_marker(folder)
    if folder in STACK_TIERS:
        # `make test` runs two pytest-xdist workers: the tiers that share `make run`'s stack (its
        # fixed ports, and the test that stops it last) run on one, the other tiers on the other.
        item.add_marker(pytest.mark.xdist_group("stack"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("last") is not None)


class LocalTwilio:
    """The local Twilio-compatible server (tools/twilio_local.py) as a test sees it."""

    account_sid = "AC" + "1" * 32

    def __init__(self, port: int, auth_token: str) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.auth_token = auth_token

    def arguments(self) -> list[str]:
        return ["--account-sid", self.account_sid, "--auth-token", self.auth_token]

    def environment(self) -> dict[str, str]:
        """What a process needs to send SMS through this server."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": "+18195550100",
            "TWILIO_API_BASE_URL": self.base_url,
        }

    def sent_to(self, phone: str) -> list[dict[str, object]]:
        import json
        import urllib.parse
        import urllib.request

        query = urllib.parse.urlencode({"to": phone})
        with urllib.request.urlopen(f"{self.base_url}/_local/messages?{query}", timeout=5) as response:
            return list(json.load(response))


@pytest.fixture(scope="session")
def twilio_local() -> Iterator[LocalTwilio]:
    """A local Twilio-compatible server in its own process, on a free port."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    import uuid

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = LocalTwilio(port, uuid.uuid4().hex)
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.twilio_local", "--port", str(port), *server.arguments()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{server.base_url}/health", timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield server
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(stack: object) -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright. Per module: Playwright's sync API keeps an
    event loop running while it is open, which other tests' asyncio.run() cannot share."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two other websites on loopback serving the same folder: one on the allow-list, one not."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from tests.stack import OTHER_SITE_PORT, UNKNOWN_SITE_PORT

    folder = tmp_path_factory.mktemp("sites")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    servers = [ThreadingHTTPServer(("127.0.0.1", port), handler) for port in (OTHER_SITE_PORT, UNKNOWN_SITE_PORT)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder
    for server in servers:
        server.shutdown()


@dataclass
class Clinic:
    """A coop as the dialogue tests see it: real Redis and PostgreSQL stores, demo members and availability,
    and the SMS codes the assistant sent (the outside world's boundary)."""

    services: Any
    triage: Triage
    redis: Any
    codes: list[tuple[str, str]] = field(default_factory=list)

    def member(self, number: str) -> Any:
        return self.services.registry.get(number)

    def eligible_member(self) -> Any:
        """A demo member in good standing with the telemedicine plan (alone on their phone)."""
        from bot.membership.verification import eligibility

        for n in range(101, 400):
            for prefix in ("VM", "HL"):
                member = self.member(f"{prefix}-{n:06d}")
                if member and eligibility(member) == "ok" and len(self.services.registry.by_phone(member.phone)) == 1:
                    return member
        raise AssertionError("no eligible demo member")

    def on_duty(self) -> None:
        coops = list(self.services.content.coops)
        self.services.handoff.heartbeat("infirmiere@demo.coopsante.example", coops)

    def conversation(self, channel: str = "web", sender: str | None = None, coop: str = "val-morin") -> Any:
        import uuid

        from tests.conversation import Conversation

        return Conversation(
            self.services, self.triage, sender=sender or f"web-{uuid.uuid4().hex}", channel=channel, coop=coop
        )


@pytest.fixture
def clinic(redis_client: Any, database: Any, triage: Triage) -> Clinic:
    from datetime import datetime, timedelta

    from actions.resources import services
    from bot.booking.availability import QUEBEC, Availability, demo_blocks
    from bot.membership.demo import demo_registry_csv
    from bot.membership.members import parse_registry
    from bot.membership.store import MemberRegistry

    MemberRegistry(database).upsert(parse_registry(demo_registry_csv()).members)
    Availability(database).add(demo_blocks((datetime.now(QUEBEC) + timedelta(days=1)).date()))
    built = services(redis_client, database)
    sent: list[tuple[str, str]] = []
    clinic = Clinic(built, triage, redis_client, sent)
    object.__setattr__(built, "send_code", lambda phone, text, coop: sent.append((phone, text)))
    return clinic
