"""bot/platform/linear_scorer.py gives scikit-learn's own probabilities, for the triage classifier (multinomial)
and for the answer finder (one-vs-rest), on their whole training texts and on odd input."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.answers import load_answer_finder
from bot.content import Content
from bot.triage import Triage
from bot.triage.classifier import read_corpus

ROOT = Path(__file__).resolve().parents[2]
ODD = ["", "   ", "???", "x" * 3000, "mal à la poitrine. " * 40, "911", "Ünïcödé ☃ 😀"]


def test_the_triage_classifier_gives_the_probabilities_of_scikit_learn(triage: Triage) -> None:
    classifier = triage.classifier
    assert classifier is not None
    texts = [e.text for e in read_corpus(ROOT / "safety" / "corpus")][::5] + ODD
    ours = classifier.probabilities(texts)
    theirs = classifier.sklearn_probabilities(texts)
    worst = max(
        abs(row[d] - p)
        for row, probs in zip(ours, theirs, strict=True)
        for d, p in zip(classifier.classes, probs, strict=True)
    )
    assert worst < 1e-12


def test_the_answer_finder_ranks_as_scikit_learn(content: Content) -> None:
    finder = load_answer_finder(content, ROOT / "data" / "faq")
    with (ROOT / "data" / "faq" / "questions.csv").open(encoding="utf-8-sig", newline="") as f:
        questions = [row["question"] for row in csv.DictReader(f)]
    assert len(questions) > 100
    for question in [*questions, *ODD]:
        ours, theirs = finder.rank(question, 5), finder.sklearn_rank(question, 5)
        # Equal to the last digits that floating point keeps (rounding both to 12 places fails when a score
        # sits on a rounding boundary: ...42422 against ...42421).
        assert len(ours) == len(theirs), question
        assert all(abs(a.score - b.score) < 1e-12 for a, b in zip(ours, theirs, strict=True)), question
        assert {m.topic for m in ours if m.score > theirs[-1].score + 1e-12} <= {m.topic for m in theirs}
