from pathlib import Path
from typing import Any

from bot.membership.consent import ConsentStore, load_notice

ROOT = Path(__file__).resolve().parents[2]


def test_the_notice_says_what_the_law_asks_in_both_languages() -> None:
    notice = load_notice(ROOT / "content")
    text = notice.text("fr").lower()
    for words in ("coop", "santé", "30 jours", "effacer", "oui ou non"):
        assert words in text
    english = notice.text("en").lower()
    for words in ("coop", "health", "30 days", "erase", "yes or no"):
        assert words in english
    for language in ("fr", "en"):
        assert "911" in notice.declined_text(language) and "811" in notice.declined_text(language)


def test_record_and_version(database: Any, redis_client: Any) -> None:
    store = ConsentStore(database)
    notice = load_notice(ROOT / "content")
    assert not store.current("+18195550101", notice)
    entry = store.record("+18195550101", notice, "sms", accepted=True)
    assert entry["version"] == notice.version and entry["canal"] == "sms"
    assert store.current("+18195550101", notice)
    newer = type(notice)(version="next", notice=notice.notice, declined=notice.declined)
    assert not store.current("+18195550101", newer)  # a new text needs a new yes
    assert not [k for k in redis_client.keys("*") if "5550101" in k]
    with database.connect() as connection:
        assert "5550101" not in str(connection.exec_driver_sql("SELECT * FROM consents").all())


def test_declined_and_withdrawn(database: Any) -> None:
    store = ConsentStore(database)
    notice = load_notice(ROOT / "content")
    store.record("web-1", notice, "web", accepted=False)
    assert not store.current("web-1", notice)
    store.record("web-1", notice, "web", accepted=True)
    store.withdraw("web-1")
    assert not store.current("web-1", notice)


def test_the_history_is_kept_and_a_withdrawal_is_recorded(database: Any) -> None:
    """Issue 16: an append-only history per subject (the latest entry in force), not one overwritten record."""
    store = ConsentStore(database)
    notice = load_notice(ROOT / "content")
    store.record("+18195550101", notice, "sms", accepted=False)
    store.record("+18195550101", notice, "sms", accepted=True)
    store.withdraw("+18195550101")
    assert [e["reponse"] for e in store.history("+18195550101")] == ["non", "oui", "retire"]
    assert store.entry("+18195550101")["reponse"] == "retire" and not store.current("+18195550101", notice)
    store.record("+18195550101", notice, "web", accepted=True)
    assert store.current("+18195550101", notice)
    assert store.erase(["+18195550101", "web-1"]) == 4
    assert store.history("+18195550101") == [] and store.entry("+18195550101") == {}


def test_histories_past_their_retention_are_purged(database: Any) -> None:
    from datetime import UTC, datetime, timedelta

    store = ConsentStore(database, retention_days=365)
    notice = load_notice(ROOT / "content")
    now = datetime.now(UTC)
    store._append("web-old", notice.version, "web", "oui", at=now - timedelta(days=400))
    store._append("web-kept", notice.version, "web", "oui", at=now - timedelta(days=400))
    store.record("web-kept", notice, "web", accepted=True)  # answered again lately: the history stays whole
    assert store.purge_expired(now) == 1
    assert store.history("web-old") == [] and len(store.history("web-kept")) == 2
