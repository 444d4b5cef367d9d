"""Shared fixtures: project paths, the loaded rules and content, and the trained model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.triage import Triage, load_triage

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "coop-sante.tar.gz"
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def triage() -> Triage:
    return load_triage(ROOT / "safety")


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


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis server for the tests, on a free port, thrown away afterwards."""
    import socket
    import subprocess
    import time

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
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    """A client on a freshly emptied database."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
