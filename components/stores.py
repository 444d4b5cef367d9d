"""Redis tracker and lock stores configured from REDIS_URL (bot/platform/settings.py).

Rasa's own Redis tracker store keeps a conversation as one JSON string: every message reads it
whole, reads it again to merge on save, and writes it whole, so a member's turn costs more the
longer the conversation (an SMS conversation lasts weeks). This store keeps what the dialogue
needs and no more work per turn:

- the events in a Redis list, appended to (RPUSH), never rewritten;
- beside it, a small hash: how many events, where the current session starts, where the last
  member messages are, and the slots' values after the last turn.

A turn reads only what it needs of the current session: every event of the last FULL_TURNS member
turns (the action reads the triage record of the message before), preceded by the slots' values
as SlotSet events, so the tracker's state is the same as with the whole session; and before those,
the member messages alone back to the TAIL_MEMBER_MESSAGES-th last (the triage episode reads its
eight messages as one story), fetched by their positions, with their words and not their NLU parse.
So message 300 of a conversation reads about as many events as message 10. The whole
history stays readable (`retrieve_full_tracker`: the console's transcript, Rasa's HTTP API) and
expires with the retention period (`record_exp`, Law 25), as it did before.
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.platform.redis_clients import sync_client
from bot.platform.settings import Settings, load_settings
from bot.platform.tracker_keys import STATE_PREFIX, TRACKER_PREFIX
from bot.records.privacy import take_erasure_request
from components import speedups

speedups.install()

KEY_PREFIX = "coopsante"  # Rasa ignores prefixes that are not alphanumeric
# Member messages a turn reads back: the triage episode keeps eight earlier turns, plus this one.
TAIL_MEMBER_MESSAGES = 10
# Member turns read back whole, with the bot's answers and the slots they set.
FULL_TURNS = 2
# Positions of member messages remembered in the hash (more than the tail needs).
KEPT_POSITIONS = 2 * TAIL_MEMBER_MESSAGES
# What a tracker read from this store remembers: events that came from the store (so that
# `save` appends only the new ones), and the list's length when it was read.
_LOADED = "_coopsante_loaded"


def _connection(settings: Settings) -> dict[str, Any]:
    redis = settings.redis
    return {
        "host": redis.host,
        "port": redis.port,
        "db": redis.db,
        "password": redis.password,
        "use_ssl": redis.use_ssl,
        "key_prefix": KEY_PREFIX,
    }


class ProjectRedisTrackerStore(RedisTrackerStore):
    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Any) -> None:
        settings = load_settings()
        super().__init__(
            domain=domain,
            event_broker=event_broker,
            record_exp=settings.tracker_retention_seconds,
            **_connection(settings),
        )
        # Rasa's client has no socket timeout: a stalled Redis would hold every turn forever.
        self.red: Any = sync_client(settings.redis_url)

    def _events_key(self, sender_id: str) -> str:
        return TRACKER_PREFIX + sender_id

    def _state_key(self, sender_id: str) -> str:
        return STATE_PREFIX + sender_id

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        """Append this turn's events, unless the member asked in this turn that the conversation be erased."""
        sender = tracker.sender_id
        if take_erasure_request(self.red, sender):
            self.red.delete(self._events_key(sender), self._state_key(sender))
            return
        await self.stream_events(tracker)
        loaded = getattr(tracker, _LOADED, None)
        if loaded is None:
            # A tracker that did not come from here (a new conversation, events replaced through
            # Rasa's HTTP API): it becomes the whole stored conversation.
            self._write_all(tracker)
            return
        taken_from_tracker, stored_count = loaded
        events = list(tracker.events)
        new = events[taken_from_tracker:]
        state = self._state(sender)
        members: list[int] = list(state.get("members", []))
        session = int(state.get("session", 0))
        for offset, event in enumerate(new):
            if isinstance(event, UserUttered):
                members.append(stored_count + offset)
            elif isinstance(event, SessionStarted):
                session = stored_count + offset
        count = stored_count + len(new)
        pipe = self.red.pipeline(transaction=True)
        if new:
            pipe.rpush(self._events_key(sender), *(json.dumps(e.as_dict()) for e in new))
        self._write_state(pipe, tracker, count, session, members)
        pipe.execute()
        setattr(tracker, _LOADED, (len(events), count))

    def _write_state(
        self, pipe: Any, tracker: DialogueStateTracker, count: int, session: int, members: list[int]
    ) -> None:
        sender = tracker.sender_id
        pipe.hset(
            self._state_key(sender),
            mapping={
                "count": count,
                "session": session,
                "members": json.dumps(members[-KEPT_POSITIONS:]),
                "slots": json.dumps(_slot_values(tracker)),
            },
        )
        if self.record_exp:
            pipe.expire(self._events_key(sender), int(self.record_exp))
            pipe.expire(self._state_key(sender), int(self.record_exp))

    def _state(self, sender_id: str) -> dict[str, Any]:
        raw = self.red.hgetall(self._state_key(sender_id))
        if not raw:
            return {}
        return {
            "count": int(raw.get("count", 0)),
            "session": int(raw.get("session", 0)),
            "members": json.loads(raw.get("members", "[]")),
            "slots": json.loads(raw.get("slots", "{}")),
        }

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The current session's recent events, after the slots' values: what a turn needs."""
        state = self._state(sender_id) or self._upgrade(sender_id)
        if not state:
            return None
        session = state["session"]
        members = [p for p in state["members"] if p >= session][-TAIL_MEMBER_MESSAGES:]
        start = members[-FULL_TURNS] if len(members) >= FULL_TURNS else session
        earlier = [p for p in members if p < start]
        key = self._events_key(sender_id)
        pipe = self.red.pipeline(transaction=False)
        pipe.lrange(key, start, -1)
        for position in earlier:
            pipe.lindex(key, position)
        raw, *earlier_raw = pipe.execute()
        events = [json.loads(e) for e in raw]
        if start > session and events:
            timestamp = events[0].get("timestamp")
            values = [SlotSet(name, value, timestamp=timestamp).as_dict() for name, value in state["slots"].items()]
            events = values + events
        events = [_words_only(json.loads(e)) for e in earlier_raw if e] + events
        return self._tracker(sender_id, events, state["count"])

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """Every event of every session (the console's transcript, Rasa's HTTP API)."""
        state = self._state(sender_id) or self._upgrade(sender_id)
        if not state:
            return None
        events = [json.loads(e) for e in self.red.lrange(self._events_key(sender_id), 0, -1)]
        return self._tracker(sender_id, events, state["count"])

    def _tracker(self, sender_id: str, events: list[dict[str, Any]], stored_count: int) -> DialogueStateTracker:
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker, _LOADED, (len(tracker.events), stored_count))
        return tracker

    def _upgrade(self, sender_id: str) -> dict[str, Any]:
        """A conversation stored by Rasa's own store (one JSON string) moves to this layout once."""
        key = self._events_key(sender_id)
        if self.red.type(key) != "string":
            return {}
        old = self.deserialise_tracker(sender_id, self.red.get(key) or "")
        if old is None:
            return {}
        self._write_all(old)
        return self._state(sender_id)

    def _write_all(self, tracker: DialogueStateTracker) -> None:
        events = list(tracker.events)
        members = [i for i, e in enumerate(events) if isinstance(e, UserUttered)]
        sessions = [i for i, e in enumerate(events) if isinstance(e, SessionStarted)]
        pipe = self.red.pipeline(transaction=True)
        pipe.delete(self._events_key(tracker.sender_id))
        if events:
            pipe.rpush(self._events_key(tracker.sender_id), *(json.dumps(e.as_dict()) for e in events))
        self._write_state(pipe, tracker, len(events), sessions[-1] if sessions else 0, members)
        pipe.execute()
        setattr(tracker, _LOADED, (len(events), len(events)))

    async def keys(self) -> list[str]:
        return [key[len(TRACKER_PREFIX) :] for key in self.red.scan_iter(TRACKER_PREFIX + "*", count=1000)]


def _words_only(event: dict[str, Any]) -> dict[str, Any]:
    """An earlier member message as a turn needs it: its words and time (the triage story), without
    the NLU parse of that message, which nothing reads again and the action server would be sent."""
    kept = {key: event[key] for key in ("event", "timestamp", "text", "input_channel", "message_id") if key in event}
    return {**kept, "parse_data": {}}


def _slot_values(tracker: DialogueStateTracker) -> dict[str, Any]:
    """The slots that hold a value (what a tail of events is preceded by)."""
    return {name: value for name, value in tracker.current_slot_values().items() if value is not None}


class ProjectRedisLockStore(RedisLockStore):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_connection(load_settings()))
