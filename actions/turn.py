"""The one action that answers a member: the Rasa side of bot/dialogue.

The triage policy has already triaged the message (slots `triage_disposition`, `triage_raison`);
this action reads the conversation's state, lets the plain-Python assistant take the turn, sends
its replies (an emergency answer marked as such, for the SMS channel) and writes the state back.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.resources import content, services
from bot.booking.availability import QUEBEC
from bot.dialogue.engine import Assistant
from bot.dialogue.model import Inbound, Outcome, State, Triage
from bot.dialogue.services import Services
from bot.dialogue.slots import Slot
from bot.records.service_records import ServiceRecords, Turn, handed_of, improvement_consented, service_channel

log = logging.getLogger(__name__)


def coop_id(tracker: Tracker) -> str:
    """The conversation's coop: its `coop` slot, else the `coop` field of the message metadata."""
    slot = tracker.get_slot(Slot.COOP)
    if slot:
        return str(slot)
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    value = metadata.get("coop")
    return content().coop(str(value) if value else None).id


def previous_reason(tracker: Tracker) -> dict[str, Any] | None:
    """The triage record of the member's message before this one (what "pourquoi?" asks about)."""
    records = [
        e.get("value")
        for e in tracker.events
        if e.get("event") == "slot" and e.get("name") == Slot.TRIAGE_REASON and e.get("value")
    ]
    return records[-2] if len(records) >= 2 else None


class ActionTour(Action):
    def name(self) -> str:
        return "action_tour"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        # In a thread: a turn waits on Redis, PostgreSQL and Twilio, and the action server's event
        # loop serves the other members' turns meanwhile (a plain `def run` would block it).
        return await asyncio.to_thread(self.turn, dispatcher, tracker)

    def turn(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        latest = tracker.latest_message
        intent = latest.get("intent") or {}
        coop = coop_id(tracker)
        message = Inbound(
            text=str(latest.get("text") or ""),
            sender=tracker.sender_id,
            channel=str(tracker.get_latest_input_channel() or "rest"),
            coop=coop,
            now=datetime.now(QUEBEC),
            triage=Triage.from_record(tracker.get_slot(Slot.TRIAGE_REASON)),
            intent=str(intent.get("name") or ""),
            intent_confidence=float(intent.get("confidence") or 0.0),
            member=str(tracker.get_slot(Slot.MEMBER) or ""),
            handoff=str(tracker.get_slot(Slot.HANDOFF) or ""),
            previous_reason=previous_reason(tracker),
        )
        served = services()
        outcome = Assistant(served).turn(State.from_slot(tracker.get_slot(Slot.DIALOGUE)), message)
        record_turn(served, message, outcome)
        for reply in outcome.replies:
            buttons = [{"title": title, "payload": payload} for title, payload in reply.choices]
            extra: dict[str, Any] = {"langue": outcome.state.language}
            if reply.urgent:
                extra["urgence"] = reply.urgent
            dispatcher.utter_message(text=reply.text, buttons=buttons or None, **extra)
        events: list[EventType] = [SlotSet(Slot.DIALOGUE, outcome.state.to_slot())]
        if not tracker.get_slot(Slot.COOP):
            events.append(SlotSet(Slot.COOP, coop))
        if outcome.member is not None:
            events.append(SlotSet(Slot.MEMBER, outcome.member or None))
        if outcome.handoff is not None:
            events.append(SlotSet(Slot.HANDOFF, outcome.handoff or None))
        if outcome.end_episode:
            events.append(SlotSet(Slot.TRIAGE_EPISODE, []))
        if outcome.raised_to:
            events.append(SlotSet(Slot.TRIAGE_DISPOSITION, outcome.raised_to))
        return events


def record_turn(served: Services, message: Inbound, outcome: Outcome) -> None:
    """The turn's de-identified service record (bot/records/service_records.py); a failure never stops a reply."""
    try:
        consented = outcome.fallback and improvement_consented(served.consents.entry(message.sender))
        turn = Turn(
            coop=message.coop,
            channel=service_channel(message.channel, message.sender),
            at=message.now,
            conversation=message.sender,
            member=outcome.member or message.member,
            disposition=outcome.raised_to or message.triage.disposition,
            handed=handed_of(
                bool(outcome.handoff), any(r.urgent for r in outcome.replies), outcome.topic, outcome.fallback
            ),
            topic=outcome.topic,
            fallback=outcome.fallback,
            question=message.text if consented else "",
        )
        ServiceRecords(served.handoff.engine).record(turn)
    except Exception:
        log.exception("service_record.failed")
