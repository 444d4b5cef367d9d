"""What the channels of one Rasa process share: the Redis clients, one PostgreSQL pool, the coop content."""

from __future__ import annotations

from functools import cache

import redis
import redis.asyncio
from sqlalchemy.engine import Engine

from bot.content import Content, load_content
from bot.platform.redis_clients import async_client, sync_client
from bot.platform.settings import load_settings
from bot.records.database import shared_engine


@cache
def redis_client() -> redis.Redis[str]:
    """The blocking client, for work done in threads (SMS sending, PostgreSQL-and-Redis stores)."""
    return sync_client()


@cache
def live_redis() -> redis.asyncio.Redis[str]:
    """The client of the request handlers (redis.asyncio): a slow Redis never blocks Sanic's event loop.
    Rasa serves its channels on one loop per process, the loop this client's connections belong to."""
    return async_client()


def engine() -> Engine:
    return shared_engine(load_settings().database_url)


@cache
def content() -> Content:
    settings = load_settings()
    return load_content(settings.content_dir, settings.default_coop)
