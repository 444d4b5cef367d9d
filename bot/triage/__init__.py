"""Safety triage: every member message gets one of six dispositions, with the reason why."""

from bot.triage.dispositions import Disposition
from bot.triage.engine import Decision, Triage, Turn, load_triage

__all__ = ["Decision", "Disposition", "Triage", "Turn", "load_triage"]
