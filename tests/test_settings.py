import pytest

from bot.settings import load_settings, parse_redis_url


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
