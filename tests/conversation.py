"""A member's conversation with the assistant, without Rasa: the triage policy and `action_tour` in
plain Python, over real Redis stores. What Rasa adds in production (NLU intents, the tracker) is
replaced by the words themselves (bot/dialogue/words.py) and this object's memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.booking.availability import QUEBEC
from bot.dialogue.engine import Assistant
from bot.dialogue.model import Inbound, Reply, State, Triage
from bot.dialogue.services import Services
from bot.triage import Turn
from bot.triage.engine import Triage as TriageEngine


@dataclass
class Conversation:
    services: Services
    triage: TriageEngine
    sender: str = "web-" + "0" * 32
    channel: str = "web"
    coop: str = "val-morin"
    state: State = field(default_factory=State)
    member: str = ""
    handoff: str = ""
    episode: list[dict[str, Any]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # the member's messages, as the tracker holds them
    reasons: list[dict[str, Any]] = field(default_factory=list)
    disposition: str = "info"
    erased: bool = False

    def say(self, text: str, now: datetime | None = None) -> list[Reply]:
        history = [t for t in (Turn.from_record(r) for r in self.episode) if t is not None]
        earlier = self.texts[len(self.texts) - len(history) :]
        ordinary = self.services.answers.reads_as_ordinary(text)
        decision = self.triage.decide(text, history, earlier, ordinary)
        record = decision.as_record()
        self.disposition = decision.disposition.value
        self.episode = [*self.episode, decision.turn.to_record()][-8:]
        self.texts.append(text)
        self.reasons.append(record)
        message = Inbound(
            text=text,
            sender=self.sender,
            channel=self.channel,
            coop=self.coop,
            now=now or datetime.now(QUEBEC),
            triage=Triage.from_record(record),
            member=self.member,
            handoff=self.handoff,
            previous_reason=self.reasons[-2] if len(self.reasons) >= 2 else None,
        )
        outcome = Assistant(self.services).turn(self.state, message)
        self.state = outcome.state
        if outcome.member is not None:
            self.member = outcome.member
        if outcome.handoff is not None:
            self.handoff = outcome.handoff
        if outcome.raised_to:
            self.disposition = outcome.raised_to
        if outcome.end_episode:
            self.episode = []
        self.erased = self.erased or outcome.erase
        return outcome.replies

    def text(self, text: str) -> str:
        """The bot's whole answer to `text`, as one string."""
        return "\n".join(r.text + "".join(f"\n[{t}]" for t, _ in r.choices) for r in self.say(text))
