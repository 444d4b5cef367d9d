"""The Redis clients of bot/platform/redis_clients.py give up on a server that never answers, instead of hanging."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

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
