from pathlib import Path
from typing import Any

from bot.consent import ConsentStore, load_notice

ROOT = Path(__file__).resolve().parent.parent


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


def test_record_and_version(redis_client: Any) -> None:
    store = ConsentStore(redis_client)
    notice = load_notice(ROOT / "content")
    assert not store.current("+18195550101", notice)
    entry = store.record("+18195550101", notice, "sms", accepted=True)
    assert entry["version"] == notice.version and entry["canal"] == "sms"
    assert store.current("+18195550101", notice)
    newer = type(notice)(version="next", notice=notice.notice, declined=notice.declined)
    assert not store.current("+18195550101", newer)  # a new text needs a new yes
    assert not [k for k in redis_client.keys("*") if "5550101" in k]


def test_declined_and_withdrawn(redis_client: Any) -> None:
    store = ConsentStore(redis_client)
    notice = load_notice(ROOT / "content")
    store.record("web-1", notice, "web", accepted=False)
    assert not store.current("web-1", notice)
    store.record("web-1", notice, "web", accepted=True)
    store.withdraw("web-1")
    assert not store.current("web-1", notice)
