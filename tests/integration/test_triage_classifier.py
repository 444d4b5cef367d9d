"""The classifier's own arithmetic (bot/triage/classifier.py `_Scorer`) gives scikit-learn's answers."""

from __future__ import annotations

from pathlib import Path

from bot.triage import Triage
from bot.triage.classifier import read_corpus

ROOT = Path(__file__).resolve().parents[2]


def test_the_scorer_gives_the_probabilities_of_scikit_learn(triage: Triage) -> None:
    classifier = triage.classifier
    assert classifier is not None
    texts = [e.text for e in read_corpus(ROOT / "safety" / "corpus")][::5]
    texts += ["", "   ", "???", "x" * 3000, "mal à la poitrine. " * 40, "911"]
    ours = classifier.probabilities(texts)
    theirs = classifier.sklearn_probabilities(texts)
    worst = max(
        abs(row[d] - p)
        for row, probs in zip(ours, theirs, strict=True)
        for d, p in zip(classifier.classes, probs, strict=True)
    )
    assert worst < 1e-12
