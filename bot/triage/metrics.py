"""Triage scoring as TRIAGE.md defines it: five levels, clinicien and consultation as one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.triage.dispositions import Disposition

BARS = {
    "recall_911": (">=", 1.0),
    "recall_crise": (">=", 1.0),
    "under_triage": ("<=", 0.02),
    "accuracy": (">=", 0.85),
    "over_triage": ("<=", 0.15),
}


@dataclass(frozen=True)
class TriageScores:
    count: int
    recall_911: float
    recall_crise: float
    under_triage: float
    accuracy: float
    over_triage: float

    def failures(self) -> list[str]:
        """The bars of TRIAGE.md that these scores miss."""
        failed = []
        for name, (op, bar) in BARS.items():
            value = getattr(self, name)
            if (op == ">=" and value < bar) or (op == "<=" and value > bar):
                failed.append(f"{name} {value:.1%} (bar {op} {bar:.0%})")
        return failed

    def report(self) -> str:
        lines = [f"messages        {self.count}"]
        for name, (op, bar) in BARS.items():
            lines.append(f"{name:<15} {getattr(self, name):6.1%}   (bar {op} {bar:.0%})")
        return "\n".join(lines)


def score(expected: Sequence[Disposition], predicted: Sequence[Disposition]) -> TriageScores:
    if len(expected) != len(predicted):
        raise ValueError("expected and predicted differ in length")
    n = len(expected)
    if n == 0:
        raise ValueError("nothing to score")

    def recall(target: Disposition) -> float:
        relevant = [p for e, p in zip(expected, predicted, strict=False) if e == target]
        return sum(p == target for p in relevant) / len(relevant) if relevant else 1.0

    pairs = list(zip(expected, predicted, strict=False))
    return TriageScores(
        count=n,
        recall_911=recall(Disposition.NEUF_UN_UN),
        recall_crise=recall(Disposition.CRISE),
        under_triage=sum(p.level < e.level for e, p in pairs) / n,
        accuracy=sum(p.level == e.level for e, p in pairs) / n,
        over_triage=sum(p.level > e.level for e, p in pairs) / n,
    )
