import pytest

from bot.platform.settings import load_settings, parse_redis_url


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.redis.port == 6380
    assert settings.tracker_retention_seconds == 30 * 86400
    assert settings.database_url.startswith("postgresql://")
    assert (settings.safety_dir / "lexicons.yml").exists()


def test_redis_url_parsing() -> None:
    address = parse_redis_url("rediss://:secret@redis.example:6390/2")
    assert (address.host, address.port, address.db, address.password, address.use_ssl) == (
        "redis.example",
        6390,
        2,
        "secret",
        True,
    )


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError):
        load_settings({"REDIS_URL": "http://localhost"})
    with pytest.raises(ValueError):
        load_settings({"TRACKER_RETENTION_DAYS": "0"})
    with pytest.raises(ValueError):
        load_settings({"DATABASE_URL": "redis://localhost"})


SECRETS = ("PSEUDONYM_KEY", "TWILIO_AUTH_TOKEN", "RASA_TOKEN", "WEB_JWT_SECRET")
GOOD = "3f9a1c0e7b6d5a4f3e2d1c0b9a8f7e6d5c4b3a29"


def production(**env: str) -> dict[str, str]:
    return {"COOPSANTE_ENV": "production", **{name: GOOD for name in SECRETS}, **env}


@pytest.mark.parametrize("name", SECRETS)
@pytest.mark.parametrize("value", ["CHANGE-ME", "change-me-please-with-a-long-tail-of-chars", "a1b2c3d4e5f6"])
def test_placeholders_and_short_secrets_are_refused_in_production(name: str, value: str) -> None:
    """Finding: placeholder and short secrets were accepted at start-up."""
    from bot.platform.settings import SettingsError

    with pytest.raises(SettingsError) as refused:
        load_settings(production(**{name: value}))
    message = str(refused.value)
    assert message.startswith(name) and value not in message and "\n" not in message


def test_production_needs_a_pseudonym_key() -> None:
    from bot.platform.settings import SettingsError

    env = production()
    del env["PSEUDONYM_KEY"]
    with pytest.raises(SettingsError, match="^PSEUDONYM_KEY is not set"):
        load_settings(env)


def test_production_starts_with_long_random_secrets() -> None:
    settings = load_settings(production())
    assert settings.production and settings.pseudonym_key == GOOD


def test_the_start_up_check_says_one_line(tmp_path: object) -> None:
    import os
    import subprocess
    import sys

    from bot.platform.settings import PROJECT_ROOT

    env = {**os.environ, **production(RASA_TOKEN="CHANGE-ME")}
    run = subprocess.run(
        [sys.executable, "-m", "bot.platform.settings"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        "coopsante: refusing to start: RASA_TOKEN is a placeholder: give it a long random value (openssl rand -hex 32)"
    ]


def test_outside_production_a_pseudonym_key_is_made_once(tmp_path: object) -> None:
    from pathlib import Path

    from bot.platform.settings import dev_secret

    folder = Path(str(tmp_path))
    first = dev_secret("PSEUDONYM_KEY", folder)
    dev_secret.cache_clear()
    assert dev_secret("PSEUDONYM_KEY", folder) == first and len(first) >= 32
    assert load_settings({}).pseudonym_key  # make run and the tests need nothing set


def test_pseudonyms_are_keyed() -> None:
    """Finding: pseudonyms were an unkeyed SHA-256, reversible by hashing every Quebec number."""
    import hashlib

    from bot.platform.pseudonym import pseudonym

    phone = "+18195550101"
    assert pseudonym(phone) != hashlib.sha256(phone.encode()).hexdigest()[:32]
    assert pseudonym(phone, b"one key") != pseudonym(phone, b"another key")
    assert pseudonym(phone) == pseudonym(phone)


def nginx_limits(text: str) -> tuple[dict[str, str], dict[str, str]]:
    """(zone -> rate, location -> its limit_req) in an nginx config."""
    import re

    text = text.replace("\\$", "$")
    zones = dict(re.findall(r"limit_req_zone \$rate_limit_key zone=(\w+):\w+ rate=(\w+/\w);", text))
    locations = {}
    for path, body in re.findall(r"location (?:= )?(/[\w./-]*) \{([^}]*)\}", text):
        found = re.search(r"limit_req (zone=\w+ burst=\d+ nodelay);", body)
        if found:
            locations[path] = found.group(1)
    return zones, locations


def test_nginx_limits_request_rates_in_deploy_and_in_make_run() -> None:
    """Finding: nginx had no limit_req for the webhooks, the web chat and the console login.

    Issue 17: production and make run render one template (deploy/nginx.conf.template); both
    renderings keep the same locations, rates and Socket.IO stickiness.
    """
    from bot.platform.settings import PROJECT_ROOT
    from deploy.render_nginx import TEMPLATE, local_values, production_values, render

    template = TEMPLATE.read_text(encoding="utf-8")
    production = render(
        template,
        production_values("triage.example", "console.example", ["rasa:5005"], "console:5020", "8080", "/tmp/n"),
        {"production"},
    )
    local_text = render(
        template,
        local_values("127.0.0.1:5005", ["127.0.0.1:5006", "127.0.0.1:5007"], "/tmp/n", "/tmp/n.log", False),
        {"local"},
    )
    deploy, local = nginx_limits(production), nginx_limits(local_text)
    webhooks_and_chat = {"/webhooks/sms/", "/webhooks/voice/", "/webhooks/web/", "/socket.io/"}
    assert set(deploy[1]) == webhooks_and_chat | {"/connexion"}
    assert set(local[1]) == webhooks_and_chat  # the console is not behind make run's nginx
    assert {p: deploy[1][p] for p in webhooks_and_chat} == local[1]
    assert deploy[0] == local[0]
    assert deploy[0]["login"].endswith("r/m")
    for text in (production, local_text):  # Socket.IO sticks to one Rasa process in both
        assert "location /socket.io/ {\n            limit_req zone=chat burst=30 nodelay;\n" in text
        assert "proxy_pass http://rasa_sticky;" in text and "ip_hash;" in text
        assert "{{" not in text.replace("#{{", "")
    assert "127.0.0.1 1;" in local_text and "127.0.0.1 1;" not in production  # make run exempts loopback
    assert "deploy/render_nginx.py" in (PROJECT_ROOT / "deploy" / "processes.toml").read_text(encoding="utf-8")


def test_the_readme_configuration_is_the_generated_one() -> None:
    """The README's tables of variables are `python -m bot.platform.settings --markdown`, unedited."""
    from bot.platform.settings import PROJECT_ROOT, markdown

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    begin = "<!-- generated by python -m bot.platform.settings --markdown: begin -->\n"
    end = "<!-- generated: end -->"
    assert begin in readme and end in readme
    table = readme.split(begin, 1)[1].split(end, 1)[0]
    assert (
        table == markdown()
    ), "README's Configuration differs: paste `python -m bot.platform.settings --markdown` into it"


def test_only_the_settings_read_the_environment() -> None:
    """Every process setting is declared in bot/platform/settings.py and read through it."""
    import re

    from bot.platform.settings import PROJECT_ROOT

    readers = {
        str(path.relative_to(PROJECT_ROOT))
        for folder in ("bot", "actions", "channels", "components", "console")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if re.search(r"os\.environ|getenv", path.read_text(encoding="utf-8"))
    }
    assert readers == {"bot/platform/settings.py"}


def test_sections_and_their_defaults() -> None:
    settings = load_settings({"WEB_ALLOWED_ORIGINS": "https://a.example/", "CONSOLE_SECURE_COOKIES": "1"})
    assert settings.web.allowed_origins == ("https://a.example",) and settings.web.messages_per_minute == 20
    assert settings.console.secure_cookies and not settings.console.trust_forwarded_for
    assert (settings.console.host, settings.console.port, settings.console.handoff_timeout_seconds) == (
        "127.0.0.1",
        5020,
        300,
    )
    assert settings.twilio.api_base_url == "https://api.twilio.com" and not settings.twilio.account_sid
    public = load_settings({"PUBLIC_BASE_URL": "https://triage.example/base/"})
    assert public.web.allowed_origins == ("https://triage.example",)
    assert public.twilio.public_base_url == "https://triage.example/base"


def test_the_markdown_option_prints_the_tables() -> None:
    import subprocess
    import sys

    from bot.platform.settings import PROJECT_ROOT, VARIABLES, markdown

    run = subprocess.run(
        [sys.executable, "-m", "bot.platform.settings", "--markdown"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0 and run.stdout == markdown()
    assert all(f"| `{name}` |" in run.stdout for name in VARIABLES)
