"""Content and triage rules, loaded once per action server process, on first use."""

from __future__ import annotations

from functools import cache
from typing import Any

from rasa_sdk import Tracker

from bot.content import Content, load_content
from bot.settings import load_settings
from bot.triage import Triage, load_triage


@cache
def content() -> Content:
    settings = load_settings()
    return load_content(settings.content_dir, settings.default_coop)


@cache
def triage() -> Triage:
    return load_triage(load_settings().safety_dir)


def coop_id(tracker: Tracker) -> str | None:
    """The conversation's coop: its `coop` slot, else the `coop` field of the message metadata."""
    slot = tracker.get_slot("coop")
    if slot:
        return str(slot)
    metadata: dict[str, Any] = tracker.latest_message.get("metadata") or {}
    value = metadata.get("coop")
    return str(value) if value else None


def latest_intent(tracker: Tracker) -> str:
    """The intent of the member's latest message (the one that triggered the action)."""
    intent: dict[str, Any] = tracker.latest_message.get("intent") or {}
    return str(intent.get("name") or "")
