"""Conversations written as scripts (tests/conversations/*.yml), run against the assistant in plain
Python over a real Redis: the wandering member, the emergency in the middle of a form, English.

A script's steps say what the member writes and what must follow:
- `keys`: texts of content/texts.yml that the reply holds (written for the coop and language);
- `answer`: a topic of content/answers/ whose answer the reply holds;
- `expect` / `absent`: words the reply holds, or must not (accents and case ignored);
- `flow`: the question the bot now waits an answer to ("motif/age"), or null for none;
- `disposition`: the triage slot after the message; `language`: fr or en;
- `ticket`: fields of the open handoff ticket's summary (None: no ticket is open).
In what the member writes, {numero}, {naissance} and {code} are the member's number, date of birth
and the last one-time code sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.booking.availability import Slot
from bot.platform.text import normalise

HERE = Path(__file__).resolve().parents[1] / "conversations"
SCRIPTS = [
    pytest.param(script, id=f"{path.stem}: {script['name']}")
    for path in sorted(HERE.glob("*.yml"))
    for script in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
]


def plain(text: str) -> str:
    return " ".join(normalise(text).split())


def book(clinic: Any, member: Any, sender: str, count: int) -> None:
    """Bookings the member already has: the next `count` free video slots."""
    from datetime import datetime, timedelta

    from bot.booking.availability import QUEBEC

    now = datetime.now(QUEBEC)
    rules = clinic.services.booking_rules
    slots: list[Slot] = clinic.services.availability.slots(
        now + timedelta(days=1), now + timedelta(days=20), rules, ["medecin", "ips"], "val-morin", "video"
    )
    for slot in slots[: count * 7 : 7]:  # a few days apart
        clinic.services.bookings.book(
            slot,
            member_number=member.number,
            member_name=f"{member.first_name} {member.last_name}",
            conversation=sender,
            channel="sms" if sender.startswith("+") else "web",
            need="consultation",
            summary={"langue": "fr"},
            modality="video",
        )


@pytest.mark.parametrize("script", SCRIPTS)
def test_conversation(clinic: Any, script: dict[str, Any]) -> None:
    member = clinic.eligible_member()
    channel = script.get("channel", "web")
    sender = member.phone if channel == "sms" else None
    conversation = clinic.conversation(channel=channel, sender=sender, coop=script.get("coop", "val-morin"))
    setup = script.get("setup") or {}
    if setup.get("on_duty"):
        clinic.on_duty()
    if setup.get("consent"):
        clinic.services.consents.record(conversation.sender, clinic.services.consent_notice, channel, accepted=True)
    if setup.get("verified"):
        conversation.member = member.number
    if setup.get("bookings"):
        book(clinic, member, conversation.sender, int(setup["bookings"]))
    for number, step in enumerate(script["steps"], start=1):
        said = str(step["say"]).format(
            numero=member.number,
            naissance=member.birth_date.strftime("%d/%m/%Y"),
            code=(clinic.codes[-1][1].split()[-6].strip(".") if clinic.codes else "000000"),
        )
        replies = conversation.say(said)
        whole = "\n".join(r.text + " " + " ".join(t for t, _ in r.choices) for r in replies)
        where = f"step {number} ({said!r}) got:\n{whole}"
        language = step.get("language", conversation.state.language)
        content = clinic.services.content
        for key in step.get("keys", []):
            expected = content.say(key, language, conversation.coop)
            assert plain(expected) in plain(whole), f"{key} missing at {where}"
        for key in step.get("absent_keys", []):
            assert plain(content.say(key, language, conversation.coop)) not in plain(whole), f"{key} at {where}"
        if "answer" in step:
            expected = content.answer(step["answer"], language, conversation.coop) or ""
            assert plain(expected) in plain(whole), f"answer {step['answer']} missing at {where}"
        for words in step.get("expect", []):
            assert plain(str(words)) in plain(whole), f"{words!r} missing at {where}"
        for words in step.get("absent", []):
            assert plain(str(words)) not in plain(whole), f"{words!r} present at {where}"
        if "flow" in step:
            flow = conversation.state.flow
            now = None if flow is None else (f"{flow.name}/{flow.step}" if "/" in str(step["flow"]) else flow.name)
            assert now == step["flow"], f"flow {now} at {where}"
        if "disposition" in step:
            assert conversation.disposition == str(step["disposition"]), f"disposition at {where}"
        if "language" in step:
            assert conversation.state.language == step["language"], f"language at {where}"
        if "ticket" in step:
            ticket = clinic.services.handoff.get(conversation.handoff) if conversation.handoff else None
            if step["ticket"] is None:
                assert ticket is None or ticket.status == "ferme", f"a ticket is open at {where}"
            else:
                assert ticket is not None, f"no ticket at {where}"
                for field_name, value in step["ticket"].items():
                    assert plain(str(value)) in plain(
                        str(ticket.summary.get(field_name, ""))
                    ), f"ticket {field_name}={ticket.summary.get(field_name)!r} at {where}"
        if step.get("close_ticket"):
            clinic.services.handoff.close(conversation.handoff, "resolu", "infirmiere")
            conversation.handoff = ""  # the console clears `relais` when it closes the ticket,
            conversation.episode = []  # and the request's triage episode (console/delivery.py)
        if step.get("erased"):
            assert conversation.erased, f"not erased at {where}"
