"""Everything Redis and PostgreSQL hold, as text, for the tests that check an erasure left nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text


def value(redis: Any, key: str) -> Any:
    kind = redis.type(key)
    if kind == "string":
        return redis.get(key)
    if kind == "hash":
        return redis.hgetall(key)
    if kind == "set":
        return redis.smembers(key)
    if kind in ("zset", "list"):
        return redis.zrange(key, 0, -1) if kind == "zset" else redis.lrange(key, 0, -1)
    return redis.xrange(key)


def redis_dump(redis: Any) -> str:
    """Every key with its value (a client with decode_responses=True)."""
    return "\n".join(f"{key} {value(redis, key)}" for key in redis.scan_iter("*"))


def database_dump(engine: Any, kept: tuple[str, ...] = ("members",)) -> str:
    """Every row of every table but `kept` (by default the coop's own member file)."""
    from bot.records.database import tables

    with engine.connect() as connection:
        return "\n".join(
            f"{table} {connection.execute(text(f'SELECT * FROM {table}')).all()}"
            for table in tables(engine)
            if table not in kept
        )
