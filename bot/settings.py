"""One typed settings object, read from the environment with local defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class RedisAddress:
    host: str
    port: int
    db: int
    password: str | None
    use_ssl: bool


@dataclass(frozen=True)
class Settings:
    redis_url: str
    tracker_retention_days: float
    content_dir: Path
    safety_dir: Path
    default_coop: str | None
    database_url: str = ""  # the system of record (PostgreSQL); `make run` starts one and sets it
    audit_retention_days: float = 365
    consent_retention_days: float = 365

    @property
    def redis(self) -> RedisAddress:
        return parse_redis_url(self.redis_url)

    @property
    def tracker_retention_seconds(self) -> int:
        return int(self.tracker_retention_days * 86400)


DEFAULT_REDIS_URL = "redis://localhost:6380/0"


def parse_redis_url(url: str) -> RedisAddress:
    """Split a redis:// or rediss:// URL into what Rasa's Redis stores take."""
    parsed = urlparse(url)
    if parsed.scheme not in {"redis", "rediss"}:
        raise ValueError("REDIS_URL must start with redis:// or rediss://")
    db = parsed.path.lstrip("/")
    return RedisAddress(
        host=parsed.hostname or "localhost",
        port=parsed.port or 6379,
        db=int(db) if db else 0,
        password=parsed.password or None,
        use_ssl=parsed.scheme == "rediss",
    )


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the given mapping, for tests)."""
    env = dict(os.environ) if env is None else env
    retention = float(env.get("TRACKER_RETENTION_DAYS", "30"))
    if retention <= 0:
        raise ValueError("TRACKER_RETENTION_DAYS must be positive")
    redis_url = env.get("REDIS_URL") or DEFAULT_REDIS_URL
    parse_redis_url(redis_url)  # refuse to start on a malformed URL
    kept = {name: float(env.get(name.upper(), "365")) for name in ("audit_retention_days", "consent_retention_days")}
    if min(kept.values()) <= 0:
        raise ValueError("AUDIT_RETENTION_DAYS and CONSENT_RETENTION_DAYS must be positive")
    return Settings(
        redis_url=redis_url,
        tracker_retention_days=retention,
        content_dir=Path(env.get("CONTENT_DIR") or PROJECT_ROOT / "content"),
        safety_dir=Path(env.get("SAFETY_DIR") or PROJECT_ROOT / "safety"),
        default_coop=env.get("DEFAULT_COOP") or None,
        database_url=env.get("DATABASE_URL", ""),
        **kept,
    )
