"""Runs messages through the trained model exactly as a live conversation does.

A message is parsed by the model's NLU pipeline, then put on a fresh tracker and given to the
model's policy ensemble, whose triage policy records the disposition and its reason. This is the
code path of a live conversation minus the actions' replies.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.common import configure_logging_and_warnings
from rasa.utils.log_utils import configure_structlog

from bot.dialogue.slots import Slot

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "coop-sante.tar.gz"


class LiveTriage:
    def __init__(self, model_path: Path = DEFAULT_MODEL) -> None:
        configure_logging_and_warnings(logging.WARNING)
        configure_structlog(logging.WARNING)
        warnings.filterwarnings("ignore")
        self.agent = Agent.load(str(model_path))
        assert self.agent.processor is not None
        self.processor = self.agent.processor

    async def parse(self, text: str) -> dict[str, Any]:
        parsed: dict[str, Any] = await self.agent.parse_message(text)
        return parsed

    async def triage(self, text: str) -> tuple[str, dict[str, Any]]:
        """The disposition code and its reason record for one message from a new sender."""
        return await self.conversation([text])

    async def conversation(self, texts: list[str]) -> tuple[str, dict[str, Any]]:
        """The disposition after the last of a new sender's messages, each triaged in its conversation
        (the policy's slots carried from one message to the next, as in a live conversation)."""
        tracker = DialogueStateTracker(f"eval-{uuid.uuid4().hex}", self.processor.domain.slots)
        record: dict[str, Any] | None = None
        for text in texts:
            parse_data = await self.parse(text)
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data))
            prediction = self.processor._predict_next_with_tracker(tracker)
            for event in prediction.events:
                tracker.update(event)
                if isinstance(event, SlotSet) and event.key == Slot.TRIAGE_REASON:
                    record = dict(event.value)
            tracker.update(ActionExecuted("action_tour"))
        if record is None:
            raise RuntimeError("the triage policy recorded no decision: is it in config.yml?")
        return str(record["disposition"]), record
