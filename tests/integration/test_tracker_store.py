"""The tracker store (components/stores.py) over a real Redis: a turn reads the recent events of the
current session, with the same state as the whole conversation would give."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.platform.tracker_keys import STATE_PREFIX, TRACKER_PREFIX, tracker_keys
from components.stores import FULL_TURNS, TAIL_MEMBER_MESSAGES, ProjectRedisTrackerStore
from tests.conftest import ROOT

DOMAIN = Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def store(redis_url: str, redis_client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProjectRedisTrackerStore]:
    monkeypatch.setenv("REDIS_URL", redis_url)
    yield ProjectRedisTrackerStore(DOMAIN)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def turn(tracker: DialogueStateTracker, n: int) -> None:
    """One member turn as the policy and action_tour write it."""
    tracker.update(UserUttered(f"message {n}", intent={"name": "autre", "confidence": 1.0}))
    tracker.update(SlotSet("triage_disposition", "info" if n % 3 else "clinicien"))
    tracker.update(SlotSet("triage_raison", {"n": n}))
    tracker.update(ActionExecuted("action_tour"))
    tracker.update(BotUttered(f"reply {n}"))
    if n == 5:
        tracker.update(SlotSet("coop", "coop-des-laurentides"))
    tracker.update(ActionExecuted("action_listen"))


def started(sender: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    return tracker


def test_a_long_conversation_reads_back_its_recent_turns_with_every_slot(store: ProjectRedisTrackerStore) -> None:
    tracker = started("long")
    run(store.save(tracker))
    for n in range(60):
        tracker = run(store.retrieve("long"))
        turn(tracker, n)
        run(store.save(tracker))
    read = run(store.retrieve("long"))
    full = run(store.retrieve_full_tracker("long"))
    assert read.current_slot_values() == tracker.current_slot_values() == full.current_slot_values()
    assert read.get_slot("coop") == "coop-des-laurentides"  # set at turn 5, long before the tail
    texts = [e.text for e in read.events if isinstance(e, UserUttered)]
    assert texts == [f"message {n}" for n in range(60 - TAIL_MEMBER_MESSAGES, 60)]
    # Earlier member messages alone, then the slots, then the last FULL_TURNS turns whole.
    with_values = sum(1 for value in tracker.current_slot_values().values() if value is not None)
    assert len(read.events) == TAIL_MEMBER_MESSAGES - FULL_TURNS + with_values + 6 * FULL_TURNS
    assert len(full.events) == 3 + 60 * 6 + 1  # every event of every turn, once
    users = [e for e in read.events if isinstance(e, UserUttered)]
    assert all(not e.intent for e in users[:-FULL_TURNS])  # earlier messages: their words, not their parse
    assert all(e.intent.get("name") == "autre" for e in users[-FULL_TURNS:])
    reasons = [e.value for e in read.events if isinstance(e, SlotSet) and e.key == "triage_raison"]
    assert reasons[-2:] == [{"n": 58}, {"n": 59}]  # "pourquoi?" reads the record of the message before
    assert read.latest_message.text == "message 59" and read.latest_action_name == "action_listen"


def test_a_turn_appends_only_its_own_events(store: ProjectRedisTrackerStore, redis_client: Any) -> None:
    tracker = started("append")
    run(store.save(tracker))
    for n in range(30):
        tracker = run(store.retrieve("append"))
        turn(tracker, n)
        run(store.save(tracker))
    stored = [json.loads(e) for e in redis_client.lrange(TRACKER_PREFIX + "append", 0, -1)]
    assert sum(1 for e in stored if e["event"] == "user") == 30
    assert sum(1 for e in stored if e["event"] == "slot" and e["name"] == "coop") == 1  # never re-written
    assert int(redis_client.hget(STATE_PREFIX + "append", "count")) == len(stored)


def test_a_new_session_starts_the_turns_afresh(store: ProjectRedisTrackerStore) -> None:
    tracker = started("sessions")
    for n in range(12):
        turn(tracker, n)
    run(store.save(tracker))
    tracker = run(store.retrieve("sessions"))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    turn(tracker, 100)
    run(store.save(tracker))
    read = run(store.retrieve("sessions"))
    assert [e.text for e in read.events if isinstance(e, UserUttered)] == ["message 100"]
    assert read.get_slot("coop") is None  # slots are not carried over to a new session (domain.yml)


def test_a_conversation_kept_by_rasas_own_store_moves_over_once(
    store: ProjectRedisTrackerStore, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracker = started("legacy")
    for n in range(15):
        turn(tracker, n)
    rasa_store = RedisTrackerStore(
        DOMAIN,
        host=store.red.connection_pool.connection_kwargs["host"],
        port=store.red.connection_pool.connection_kwargs["port"],
        key_prefix="coopsante",
    )
    run(rasa_store.save(tracker))
    read = run(store.retrieve("legacy"))
    assert read.current_slot_values() == tracker.current_slot_values()
    assert store.red.type(TRACKER_PREFIX + "legacy") == "list"
    assert len(run(store.retrieve_full_tracker("legacy")).events) == len(tracker.events)


def test_erasure_asked_in_the_turn_leaves_no_key(store: ProjectRedisTrackerStore, redis_client: Any) -> None:
    from bot.records.privacy import request_erasure

    tracker = started("erase")
    turn(tracker, 1)
    run(store.save(tracker))
    request_erasure(redis_client, "erase")
    turn(tracker, 2)
    run(store.save(tracker))
    assert not any(redis_client.exists(key) for key in tracker_keys("erase"))
    assert run(store.retrieve("erase")) is None


def test_every_key_expires_with_the_retention(store: ProjectRedisTrackerStore, redis_client: Any) -> None:
    tracker = started("expires")
    turn(tracker, 1)
    run(store.save(tracker))
    for key in tracker_keys("expires"):
        assert 0 < redis_client.ttl(key) <= store.record_exp
