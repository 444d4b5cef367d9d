"""Safety triage: every member message gets one of six dispositions, with the reason why."""

from bot.triage.dispositions import Disposition
from bot.triage.engine import ClassifierSignal, Decision, Triage, load_triage

__all__ = ["ClassifierSignal", "Decision", "Disposition", "Triage", "load_triage"]
