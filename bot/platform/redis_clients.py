"""Every Redis client of the project, made one way: text replies, timeouts, health checks.

A client without a socket timeout waits forever on a server that accepted the connection and
never answers (a stalled Redis, a half-open connection behind a proxy); inside an async server
that wait stalls every request. These clients give up after `CONNECT_TIMEOUT_SECONDS` to connect
and `SOCKET_TIMEOUT_SECONDS` per reply and raise `redis.TimeoutError`, a `redis.RedisError`, which
callers already treat as Redis being down. A pooled connection idle for `HEALTH_CHECK_SECONDS` is
checked with a PING before its next use, so a connection the network dropped is replaced, not used;
a command that finds its connection closed (Redis restarted since) is retried on a new one, twice.

`sync_client` is for threads and command-line tools; `async_client` (`redis.asyncio`) is for the
request handlers of the Rasa channels and the console, which must not block their event loop.
Both read `REDIS_URL` (bot/platform/settings.py) unless given a URL. Rasa's own tracker and lock stores
(components/stores.py, endpoints.yml) and python-socketio's client manager build their own clients.
"""

from __future__ import annotations

import redis
import redis.asyncio
import redis.asyncio.retry
import redis.retry
from redis.backoff import ExponentialBackoff

from bot.platform.settings import load_settings

CONNECT_TIMEOUT_SECONDS = 5.0
SOCKET_TIMEOUT_SECONDS = 10.0
HEALTH_CHECK_SECONDS = 30
RETRIES_ON_CLOSED_CONNECTION = 2


def sync_client(url: str | None = None, socket_timeout: float = SOCKET_TIMEOUT_SECONDS) -> redis.Redis[str]:
    """A blocking client (threads, tools); `url` defaults to REDIS_URL."""
    return redis.Redis.from_url(
        url or load_settings().redis_url,
        decode_responses=True,
        socket_connect_timeout=min(CONNECT_TIMEOUT_SECONDS, socket_timeout),
        socket_timeout=socket_timeout,
        health_check_interval=HEALTH_CHECK_SECONDS,
        retry=redis.retry.Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES_ON_CLOSED_CONNECTION),
        retry_on_error=[redis.ConnectionError],
    )


def async_client(url: str | None = None, socket_timeout: float = SOCKET_TIMEOUT_SECONDS) -> redis.asyncio.Redis[str]:
    """A `redis.asyncio` client, for event loops; `url` defaults to REDIS_URL. Its connections belong
    to the loop that first uses them: make one per loop (per process, for a server)."""
    return redis.asyncio.Redis.from_url(
        url or load_settings().redis_url,
        decode_responses=True,
        socket_connect_timeout=min(CONNECT_TIMEOUT_SECONDS, socket_timeout),
        socket_timeout=socket_timeout,
        health_check_interval=HEALTH_CHECK_SECONDS,
        retry=redis.asyncio.retry.Retry(ExponentialBackoff(cap=0.5, base=0.05), RETRIES_ON_CLOSED_CONNECTION),
        retry_on_error=[redis.ConnectionError],
    )
