"""The transcript a clinician reads: the ticket's own episode, identity answers masked.

Rasa's tracker holds the member's whole history with the bot. The console shows only the episode
that led to the ticket: from the last point where a request ended (the `triage_episode` slot
emptied, the handoff slot cleared, a new session) before the ticket was opened, to its closing.
What the member typed to prove who they are (date of birth, member number, one-time code) is
replaced by a mark: the summary says who the member is, the proof itself is nobody's business.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bot.content import Content
from bot.dialogue.model import IdentityStep
from bot.dialogue.slots import Slot
from bot.handoff.desk import Ticket
from bot.membership.birthdate import parse_birth_date
from bot.platform.language import LANGUAGES

MASKS: dict[str, str] = {
    IdentityStep.BIRTH_DATE: "••• (date de naissance)",
    IdentityStep.NUMBER: "••• (numéro de membre)",
    IdentityStep.CODE: "••• (code à usage unique)",
}
PROMPTS = {step: IdentityStep(step).prompt for step in MASKS}  # the questions whose answers are masked
MEMBER_NUMBER = re.compile(r"\b[A-Za-z]{1,5}\s?-\s?\d{3,8}\b")
CODE_ALONE = re.compile(r"^\s*\d{4,8}\s*$")


def identity_prompts(content: Content) -> dict[str, list[str]]:
    """The bot's identity questions, in every coop's words and every language."""
    prompts: dict[str, list[str]] = {kind: [] for kind in PROMPTS}
    for kind, key in PROMPTS.items():
        for coop in content.coops:
            for language in LANGUAGES:
                try:
                    text = content.say(key, language, coop).strip()
                except (KeyError, ValueError):
                    continue
                if text and text not in prompts[kind]:
                    prompts[kind].append(text)
    return prompts


def _boundary(event: Mapping[str, Any]) -> bool:
    kind = event.get("event")
    if kind in ("session_started", "restart"):
        return True
    if kind == "slot" and event.get("name") == Slot.TRIAGE_EPISODE and not event.get("value"):
        return True
    return kind == "slot" and event.get("name") == Slot.HANDOFF and not event.get("value")


def current_episode(events: Sequence[Mapping[str, Any]], ticket: Ticket) -> list[Mapping[str, Any]]:
    start = 0
    for index, event in enumerate(events):
        if float(event.get("timestamp") or 0) >= ticket.created:
            break
        if _boundary(event):
            start = index + 1
    episode = []
    for event in events[start:]:
        if ticket.closed_at and float(event.get("timestamp") or 0) > ticket.closed_at:
            break
        episode.append(event)
    return episode


def mask(text: str, asked: str | None) -> str:
    """A member's message as the console shows it; `asked` is the identity question just asked."""
    if asked in MASKS:
        return MASKS[asked]
    if CODE_ALONE.match(text):
        return MASKS[IdentityStep.CODE]
    if len(text.split()) <= 4 and parse_birth_date(text):
        return MASKS[IdentityStep.BIRTH_DATE]
    return MEMBER_NUMBER.sub(MASKS[IdentityStep.NUMBER], text)


def _asked(text: str, prompts: Mapping[str, Sequence[str]]) -> str | None:
    for kind, questions in prompts.items():
        if any(question in text for question in questions):
            return kind
    return None


def transcript_lines(
    events: Sequence[Mapping[str, Any]], ticket: Ticket, prompts: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """User and bot messages of the ticket's episode, identity answers masked."""
    lines: list[dict[str, Any]] = []
    asked: str | None = None
    for event in current_episode(events, ticket):
        text = event.get("text")
        if event.get("event") not in ("user", "bot") or not text:
            continue
        if event["event"] == "user":
            lines.append({"qui": "membre", "texte": mask(str(text), asked), "a": event.get("timestamp") or 0})
            asked = None
            continue
        asked = _asked(str(text), prompts) or asked
        author = (event.get("metadata") or {}).get("clinicien") or "bot"
        lines.append({"qui": author, "texte": text, "a": event.get("timestamp") or 0})
    return lines
