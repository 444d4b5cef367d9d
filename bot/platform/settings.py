"""One typed settings object, read from the environment with local defaults.

Secrets. In production (`COOPSANTE_ENV=production`, which the images set), the process refuses to
start when a secret is a placeholder (CHANGE-ME...) or shorter than 32 characters, naming the
variable and never its value: `PSEUDONYM_KEY` always, and `TWILIO_AUTH_TOKEN`, `RASA_TOKEN` and
`WEB_JWT_SECRET` whenever they are set (`TWILIO_AUTH_TOKEN` too when `TWILIO_ACCOUNT_SID` is).
Anywhere else (`make run`, the tests), a missing `PSEUDONYM_KEY` is generated once, at random, into
the untracked `.run/secrets/` folder of the checkout, so that every process of the checkout agrees
on it and nobody has to set anything. `python -m bot.platform.settings` checks the environment in one line.

Every environment variable the processes read is declared once, in `SECTIONS` below, with its default
and its meaning; the processes read them only through `load_settings()` (or a section's reader, for a
process that needs one section alone). The README's "Configuration" tables are generated from that
declaration: `python -m bot.platform.settings --markdown` (tests/unit/test_settings.py compares them).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlparse, urlsplit

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
DEFAULT_REDIS_URL = "redis://localhost:6380/0"
DEFAULT_DATABASE_URL = "postgresql://coopsante@127.0.0.1:5440/coopsante"  # make run's own server
DEFAULT_TWILIO_API_BASE_URL = "https://api.twilio.com"


@dataclass(frozen=True)
class Variable:
    """One environment variable: its default when unset or empty ("" for none) and what it means."""

    name: str
    default: str
    meaning: str
    shown: str = ""  # the default as the README states it, when it is not the value itself


@dataclass(frozen=True)
class Section:
    title: str
    variables: tuple[Variable, ...]
    note: str = ""  # who reads them, when not the Python processes


SECTIONS = (
    Section(
        "Process",
        (
            Variable(
                "COOPSANTE_ENV",
                "",
                "`production`: the processes refuse to start, in one line naming the variable, while a secret is a "
                "placeholder (`CHANGE-ME`...) or shorter than 32 characters",
                "none (development); `production` in the images",
            ),
            Variable(
                "PSEUDONYM_KEY",
                "",
                "key of the hashes (HMAC-SHA256) that name phones and member numbers in Redis; keep it outside "
                "Redis. Changing it: stop the bot, `python -m ops.rekey_pseudonyms` (see "
                "[docs/deployment.md](docs/deployment.md))",
                "made once into `.run/secrets/` outside production; required in production",
            ),
            Variable(
                "DEFAULT_COOP", "", "coop used when a conversation names none", "`default:` of `content/coops.yml`"
            ),
            Variable("CONTENT_DIR", "", "where the content is read", "`content/`"),
            Variable("SAFETY_DIR", "", "where the safety rules are read", "`safety/`"),
        ),
    ),
    Section(
        "Redis",
        (
            Variable(
                "REDIS_URL",
                DEFAULT_REDIS_URL,
                "Redis for conversations and locks (`redis://` or `rediss://`)",
                "embedded server on port 6380",
            ),
        ),
    ),
    Section(
        "Database",
        (
            Variable(
                "DATABASE_URL",
                DEFAULT_DATABASE_URL,
                "PostgreSQL, the system of record: members, consent, audit, handoff tickets, bookings, "
                "availability (`postgresql://`)",
                "embedded server on port 5440",
            ),
        ),
    ),
    Section(
        "Retention",
        (
            Variable(
                "TRACKER_RETENTION_DAYS", "30", "conversations expire in Redis after this many days without activity"
            ),
            Variable(
                "AUDIT_RETENTION_DAYS",
                "365",
                "the hourly purge (and `make purge`) removes audit entries older than this",
            ),
            Variable(
                "CONSENT_RETENTION_DAYS",
                "365",
                "the hourly purge (and `make purge`) removes consent histories whose latest answer is older than this",
            ),
        ),
    ),
    Section(
        "Twilio (SMS and the phone line)",
        (
            Variable(
                "TWILIO_ACCOUNT_SID", "", "the account's SID (console home page)", "none: the local Twilio server"
            ),
            Variable("TWILIO_AUTH_TOKEN", "", "the account's auth token; also checks the webhooks' signatures"),
            Variable("TWILIO_FROM_NUMBER", "", "the default sending number, E.164 (`+1819...`)"),
            Variable(
                "TWILIO_MESSAGING_SERVICE_SID", "", "instead of a number: send through a Messaging Service (`MG...`)"
            ),
            Variable(
                "TWILIO_API_BASE_URL",
                DEFAULT_TWILIO_API_BASE_URL,
                "point it at a staging or local Twilio-compatible server",
            ),
            Variable(
                "PUBLIC_BASE_URL",
                "",
                "the address Twilio calls (signatures are checked against it), the `.ics` links of bookings, the "
                "web chat's origin when `WEB_ALLOWED_ORIGINS` is unset; see [SMS (Twilio)](#sms-twilio--texto)",
            ),
        ),
    ),
    Section(
        "Web chat",
        (
            Variable(
                "WEB_ALLOWED_ORIGINS",
                "",
                "the sites allowed to open the web chat (comma-separated origins)",
                "the origin of `PUBLIC_BASE_URL`",
            ),
            Variable("WEB_MESSAGES_PER_MINUTE", "20", "messages a web chat session may send per minute"),
            Variable(
                "WEB_JWT_SECRET",
                "",
                "signs the tokens a coop site gives its logged-in members for the web chat",
                "none (off)",
            ),
            Variable("WEB_JWT_AUDIENCE", DEFAULT_JWT_AUDIENCE, "the `aud` such a token must carry"),
            Variable(
                "WEB_JWT_ISSUERS",
                "",
                "the `iss` values accepted (comma-separated)",
                "the origins of `WEB_ALLOWED_ORIGINS`",
            ),
        ),
    ),
    Section(
        "Console",
        (
            Variable("CONSOLE_HOST", "127.0.0.1", "address the clinician console listens on"),
            Variable("CONSOLE_PORT", "5020", "port of the clinician console"),
            Variable(
                "CONSOLE_SECURE_COOKIES", "", "`1` behind TLS: the console's cookie is sent over HTTPS only", "off"
            ),
            Variable(
                "CONSOLE_TRUST_FORWARDED_FOR",
                "",
                "`1` behind a reverse proxy that sets `X-Forwarded-For`: failed logins are counted per real client",
                "off",
            ),
            Variable(
                "HANDOFF_TIMEOUT_SECONDS", "300", "how long a handoff may wait unclaimed before the member is told"
            ),
            Variable("RASA_URL", "http://127.0.0.1:5005", "where the console reaches Rasa's HTTP API"),
            Variable("RASA_TOKEN", "", "Rasa's token, when Rasa runs with `--auth-token`", "none"),
        ),
    ),
    Section(
        "make run",
        (
            Variable(
                "RASA_PROCESSES",
                "",
                "Rasa servers to start; above 1, nginx balances them on `RASA_PORT`",
                "one per core, as free memory allows (about 1 GB each)",
            ),
            Variable("TWILIO_LOCAL_PORT", "5011", "port of the local Twilio-compatible server that `make run` starts"),
            Variable(
                "NGINX_LIMIT_LOOPBACK",
                "",
                "`1`: `make run`'s nginx (`RASA_PROCESSES` above 1) rate-limits loopback clients too",
                "off",
            ),
        ),
        note="Read by `scripts/run.sh`, not by the processes.",
    ),
)
VARIABLES = {variable.name: variable for section in SECTIONS for variable in section.variables}


def _read(env: Mapping[str, str], name: str) -> str:
    """The variable's value, or its declared default when it is unset or empty."""
    return env.get(name) or VARIABLES[name].default


def _flag(env: Mapping[str, str], name: str) -> bool:
    return _read(env, name) == "1"


def _listed(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip().rstrip("/") for item in _read(env, name).split(",") if item.strip())


@dataclass(frozen=True)
class TwilioSection:
    """SMS and the phone line (defaults: `SECTIONS`)."""

    account_sid: str
    auth_token: str
    from_number: str
    messaging_service_sid: str
    api_base_url: str
    public_base_url: str


@dataclass(frozen=True)
class WebSection:
    """The web chat (defaults: `SECTIONS`)."""

    allowed_origins: tuple[str, ...]
    messages_per_minute: int
    jwt_secret: str
    jwt_audience: str
    jwt_issuers: tuple[str, ...]


@dataclass(frozen=True)
class ConsoleSection:
    """The clinician console and its worker (defaults: `SECTIONS`)."""

    host: str
    port: int
    secure_cookies: bool
    trust_forwarded_for: bool
    handoff_timeout_seconds: float
    rasa_url: str
    rasa_token: str


def twilio_section(env: Mapping[str, str] | None = None) -> TwilioSection:
    env = os.environ if env is None else env
    return TwilioSection(
        account_sid=_read(env, "TWILIO_ACCOUNT_SID"),
        auth_token=_read(env, "TWILIO_AUTH_TOKEN"),
        from_number=_read(env, "TWILIO_FROM_NUMBER"),
        messaging_service_sid=_read(env, "TWILIO_MESSAGING_SERVICE_SID"),
        api_base_url=_read(env, "TWILIO_API_BASE_URL"),
        public_base_url=_read(env, "PUBLIC_BASE_URL").rstrip("/"),
    )


def web_section(env: Mapping[str, str] | None = None) -> WebSection:
    env = os.environ if env is None else env
    origins = _listed(env, "WEB_ALLOWED_ORIGINS")
    if not origins:  # else the origin of PUBLIC_BASE_URL
        public = urlsplit(_read(env, "PUBLIC_BASE_URL"))
        origins = (f"{public.scheme}://{public.netloc}",) if public.scheme and public.netloc else ()
    return WebSection(
        allowed_origins=origins,
        messages_per_minute=int(_read(env, "WEB_MESSAGES_PER_MINUTE")),
        jwt_secret=_read(env, "WEB_JWT_SECRET"),
        jwt_audience=_read(env, "WEB_JWT_AUDIENCE"),
        jwt_issuers=tuple(i.strip() for i in _read(env, "WEB_JWT_ISSUERS").split(",") if i.strip()),
    )


def console_section(env: Mapping[str, str] | None = None) -> ConsoleSection:
    env = os.environ if env is None else env
    return ConsoleSection(
        host=_read(env, "CONSOLE_HOST"),
        port=int(_read(env, "CONSOLE_PORT")),
        secure_cookies=_flag(env, "CONSOLE_SECURE_COOKIES"),
        trust_forwarded_for=_flag(env, "CONSOLE_TRUST_FORWARDED_FOR"),
        handoff_timeout_seconds=float(_read(env, "HANDOFF_TIMEOUT_SECONDS")),
        rasa_url=_read(env, "RASA_URL"),
        rasa_token=_read(env, "RASA_TOKEN"),
    )


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
    audit_retention_days: float = 365
    consent_retention_days: float = 365
    twilio: TwilioSection = field(default_factory=lambda: twilio_section({}))
    web: WebSection = field(default_factory=lambda: web_section({}))
    console: ConsoleSection = field(default_factory=lambda: console_section({}))

    @property
    def redis(self) -> RedisAddress:
        return parse_redis_url(self.redis_url)

    @property
    def tracker_retention_seconds(self) -> int:
        return int(self.tracker_retention_days * 86400)


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


def _check_production_secrets(env: Mapping[str, str]) -> None:
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


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (or the given mapping, for tests)."""
    env = dict(os.environ) if env is None else env
    production = _read(env, "COOPSANTE_ENV").strip().casefold() == "production"
    if production:
        _check_production_secrets(env)
    retention = float(_read(env, "TRACKER_RETENTION_DAYS"))
    if retention <= 0:
        raise ValueError("TRACKER_RETENTION_DAYS must be positive")
    redis_url = _read(env, "REDIS_URL")
    parse_redis_url(redis_url)  # refuse to start on a malformed URL
    database_url = _read(env, "DATABASE_URL")
    if not database_url.startswith(("postgresql://", "postgresql+psycopg2://")):
        raise ValueError("DATABASE_URL must start with postgresql://")
    kept = {name: float(_read(env, name.upper())) for name in ("audit_retention_days", "consent_retention_days")}
    if min(kept.values()) <= 0:
        raise ValueError("AUDIT_RETENTION_DAYS and CONSENT_RETENTION_DAYS must be positive")
    return Settings(
        redis_url=redis_url,
        database_url=database_url,
        tracker_retention_days=retention,
        content_dir=Path(_read(env, "CONTENT_DIR") or PROJECT_ROOT / "content"),
        safety_dir=Path(_read(env, "SAFETY_DIR") or PROJECT_ROOT / "safety"),
        default_coop=_read(env, "DEFAULT_COOP") or None,
        production=production,
        pseudonym_key=_read(env, "PSEUDONYM_KEY") or dev_secret("PSEUDONYM_KEY"),
        twilio=twilio_section(env),
        web=web_section(env),
        console=console_section(env),
        **kept,
    )


def markdown() -> str:
    """The README's Configuration tables, one per section, from `SECTIONS`."""
    parts = []
    for section in SECTIONS:
        lines = [f"**{section.title}**" + (f". {section.note}" if section.note else ""), ""]
        lines += ["| variable | default | meaning |", "|---|---|---|"]
        for v in section.variables:
            default = v.shown or (f"`{v.default}`" if v.default else "none")
            lines.append(f"| `{v.name}` | {default} | {v.meaning} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.platform.settings`: exit 0 when this environment may start, else one line and 2.

    `--markdown` prints the README's Configuration tables instead.
    """
    parser = argparse.ArgumentParser(prog="python -m bot.platform.settings", description=main.__doc__)
    parser.add_argument("--markdown", action="store_true", help="print the README's tables of variables")
    if parser.parse_args(argv).markdown:
        print(markdown(), end="")
        return 0
    try:
        load_settings()
    except ValueError as error:
        print(f"coopsante: refusing to start: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
