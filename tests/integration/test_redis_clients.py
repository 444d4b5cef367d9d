"""The Redis clients of bot/platform/redis_clients.py give up on a server that never answers, instead of hanging."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from bot.platform.redis_clients import (
    CONNECT_TIMEOUT_SECONDS,
    HEALTH_CHECK_SECONDS,
    SOCKET_TIMEOUT_SECONDS,
    async_client,
    sync_client,
)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP port that accepts connections (the kernel completes them) and never replies."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def test_both_clients_have_timeouts_and_health_checks() -> None:
    for client in (sync_client("redis://127.0.0.1:1/0"), async_client("redis://127.0.0.1:1/0")):
        options = client.connection_pool.connection_kwargs
        assert options["socket_timeout"] == SOCKET_TIMEOUT_SECONDS
        assert options["socket_connect_timeout"] == CONNECT_TIMEOUT_SECONDS
        assert options["health_check_interval"] == HEALTH_CHECK_SECONDS
        assert options["decode_responses"] is True


def test_the_sync_client_times_out_on_a_silent_server(silent_server: str) -> None:
    client = sync_client(silent_server, socket_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        client.get("coopsante:test")
    assert time.monotonic() - started < 5


def test_the_async_client_times_out_on_a_silent_server(silent_server: str) -> None:
    async def ask() -> float:
        client = async_client(silent_server, socket_timeout=0.5)
        started = time.monotonic()
        try:
            with pytest.raises(redis.TimeoutError):  # redis.asyncio raises the same error class
                await client.get("coopsante:test")
        finally:
            await client.connection_pool.disconnect()
        return time.monotonic() - started

    assert asyncio.run(ask()) < 5


def test_the_tracker_store_uses_the_factory_client() -> None:
    """Rasa's RedisTrackerStore builds a client without a socket timeout; the project's store replaces it."""
    from rasa.shared.core.domain import Domain

    from components.stores import ProjectRedisTrackerStore

    store = ProjectRedisTrackerStore(Domain.empty())
    assert store.red.connection_pool.connection_kwargs["socket_timeout"] == SOCKET_TIMEOUT_SECONDS


def _redis_server(port: int, folder: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.1):
                return server
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def test_both_clients_carry_on_after_redis_restarts(tmp_path: Path) -> None:
    """A pooled connection closed by a restarted Redis is replaced, not an error for the next request
    (the console answered 500 once after `make test-deploy` restarted Redis)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    server = _redis_server(port, str(tmp_path))
    blocking, live = sync_client(url), async_client(url)
    try:

        async def ping_async() -> bool:
            return bool(await live.ping())

        loop = asyncio.new_event_loop()
        assert blocking.ping() and loop.run_until_complete(ping_async())
        server.terminate()
        server.wait()
        server = _redis_server(port, str(tmp_path))
        assert blocking.set("after", "restart") and blocking.get("after") == "restart"
        assert loop.run_until_complete(ping_async())
        loop.run_until_complete(live.aclose() if hasattr(live, "aclose") else live.close())
        loop.close()
    finally:
        server.terminate()
        server.wait()
