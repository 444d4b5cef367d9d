"""What the channels of one Rasa process share: one Redis connection pool, one PostgreSQL pool, the coop content."""

from __future__ import annotations

from functools import cache

import redis
from sqlalchemy.engine import Engine

from bot.content import Content, load_content
from bot.platform.settings import load_settings
from bot.records.database import shared_engine


@cache
def redis_client() -> redis.Redis[str]:
    return redis.Redis.from_url(load_settings().redis_url, decode_responses=True)


def engine() -> Engine:
    return shared_engine(load_settings().database_url)


@cache
def content() -> Content:
    settings = load_settings()
    return load_content(settings.content_dir, settings.default_coop)
