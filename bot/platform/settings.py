"""One typed settings object, read from the environment with local defaults.

Secrets. In production (`COOPSANTE_ENV=production`, which the images set), the process refuses to
start when a secret is a placeholder (CHANGE-ME...) or shorter than 32 characters, naming the
variable and never its value: `PSEUDONYM_KEY` always, and `TWILIO_AUTH_TOKEN`, `RASA_TOKEN` and
`WEB_JWT_SECRET` whenever they are set (`TWILIO_AUTH_TOKEN` too when `TWILIO_ACCOUNT_SID` is).
Anywhere else (`make run`, the tests), a missing `PSEUDONYM_KEY` is generated once, at random, into
the untracked `.run/secrets/` folder of the checkout, so that every process of the checkout agrees
on it and nobody has to set anything. `python -m bot.platform.settings` checks the environment in one line.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class RedisAddress:
    host: str
    port: int
    db: int
    password: str | None
    use_ssl: bool


class SettingsError(ValueError):
    """A setting the process must not start with; the message names the variable, never its value."""


MIN_SECRET_CHARS = 32
PLACEHOLDERS = ("change-me", "changeme", "change_me", "replace-me", "your-", "xxxx", "example", "secret", "password")
DEV_SECRETS_DIR = PROJECT_ROOT / ".run" / "secrets"
DEFAULT_JWT_AUDIENCE = "coopsante-triage"  # the web chat: what a coop site's token is for


@dataclass(frozen=True)
class Settings:
    redis_url: str
    database_url: str
    tracker_retention_days: float
    content_dir: Path
    safety_dir: Path
    default_coop: str | None
    production: bool = False
    pseudonym_key: str = ""
    web_jwt_secret: str = ""
    web_jwt_audience: str = DEFAULT_JWT_AUDIENCE
    web_jwt_issuers: tuple[str, ...] = ()
    audit_retention_days: float = 365
    consent_retention_days: float = 365

    @property
    def redis(self) -> RedisAddress:
        return parse_redis_url(self.redis_url)

    @property
    def tracker_retention_seconds(self) -> int:
        return int(self.tracker_retention_days * 86400)


DEFAULT_REDIS_URL = "redis://localhost:6380/0"
DEFAULT_DATABASE_URL = "postgresql://coopsante@127.0.0.1:5440/coopsante"  # make run's own server


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


def check_secret(name: str, value: str) -> None:
    """Refuse a placeholder or a short secret, naming the variable only."""
    if not value:
        raise SettingsError(f"{name} is not set: give it a long random value (openssl rand -hex 32)")
    lowered = value.casefold()
    if any(p in lowered for p in PLACEHOLDERS) or len(set(value)) < 8:
        raise SettingsError(f"{name} is a placeholder: give it a long random value (openssl rand -hex 32)")
    if len(value) < MIN_SECRET_CHARS:
        raise SettingsError(
            f"{name} is shorter than {MIN_SECRET_CHARS} characters: give it a long random value (openssl rand -hex 32)"
        )


def _check_production_secrets(env: dict[str, str]) -> None:
    check_secret("PSEUDONYM_KEY", env.get("PSEUDONYM_KEY", ""))
    if env.get("TWILIO_ACCOUNT_SID") or env.get("TWILIO_AUTH_TOKEN"):
        check_secret("TWILIO_AUTH_TOKEN", env.get("TWILIO_AUTH_TOKEN", ""))
    for name in ("RASA_TOKEN", "WEB_JWT_SECRET"):
        if env.get(name):
            check_secret(name, env[name])


@cache
def dev_secret(name: str, folder: Path = DEV_SECRETS_DIR) -> str:
    """A random secret made once for this checkout (outside production only), kept in `folder`."""
    path = folder / name
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".{name}.{os.getpid()}"
        draft.write_text(secrets.token_hex(32), encoding="utf-8")
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: of two processes starting at once, one writes it
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="utf-8").strip()


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the given mapping, for tests)."""
    env = dict(os.environ) if env is None else env
    production = env.get("COOPSANTE_ENV", "").strip().casefold() == "production"
    if production:
        _check_production_secrets(env)
    retention = float(env.get("TRACKER_RETENTION_DAYS", "30"))
    if retention <= 0:
        raise ValueError("TRACKER_RETENTION_DAYS must be positive")
    redis_url = env.get("REDIS_URL") or DEFAULT_REDIS_URL
    parse_redis_url(redis_url)  # refuse to start on a malformed URL
    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if not database_url.startswith(("postgresql://", "postgresql+psycopg2://")):
        raise ValueError("DATABASE_URL must start with postgresql://")
    kept = {name: float(env.get(name.upper(), "365")) for name in ("audit_retention_days", "consent_retention_days")}
    if min(kept.values()) <= 0:
        raise ValueError("AUDIT_RETENTION_DAYS and CONSENT_RETENTION_DAYS must be positive")
    return Settings(
        redis_url=redis_url,
        database_url=database_url,
        tracker_retention_days=retention,
        content_dir=Path(env.get("CONTENT_DIR") or PROJECT_ROOT / "content"),
        safety_dir=Path(env.get("SAFETY_DIR") or PROJECT_ROOT / "safety"),
        default_coop=env.get("DEFAULT_COOP") or None,
        production=production,
        pseudonym_key=env.get("PSEUDONYM_KEY") or dev_secret("PSEUDONYM_KEY"),
        web_jwt_secret=env.get("WEB_JWT_SECRET", ""),
        web_jwt_audience=env.get("WEB_JWT_AUDIENCE") or DEFAULT_JWT_AUDIENCE,
        web_jwt_issuers=tuple(i.strip() for i in env.get("WEB_JWT_ISSUERS", "").split(",") if i.strip()),
        **kept,
    )


def main() -> int:
    """`python -m bot.platform.settings`: exit 0 when this environment may start, else one line and 2."""
    try:
        load_settings()
    except ValueError as error:
        print(f"coopsante: refusing to start: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
