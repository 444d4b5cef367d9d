"""Which answer a member's question asks for: a classifier fitted at start-up on the example questions.

Each answer of content/answers/*.yml carries example questions; data/faq/*.csv (question,topic) adds
more, written by many people. Fitting takes a second or two, so an answer that coop staff add to
content/ works after a restart, with no training step. A question that matches nothing well enough
gets the likeliest topics as choices (bot/dialogue).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.content import Content
from bot.platform.linear_scorer import LinearTextScorer
from bot.platform.text import normalise

OFF_TOPIC = "hors_sujet"  # questions the assistant cannot answer (weather, sports...)
ORDINARY_QUESTION = 0.45  # how sure the finder must be that a message is one of the questions it answers


@dataclass(frozen=True)
class Match:
    topic: str
    score: float


class AnswerFinder:
    """Word and character n-grams and a logistic regression over the topics' example questions."""

    def __init__(self, model: Any, topics: Sequence[str]) -> None:
        self._model = model
        self._scorer = LinearTextScorer(model)
        self.topics = list(topics)

    @classmethod
    def fit(cls, examples: Sequence[tuple[str, str]]) -> AnswerFinder:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        model = Pipeline(
            [
                (
                    "features",
                    FeatureUnion(
                        [
                            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
                            (
                                "chars",
                                TfidfVectorizer(
                                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, max_features=30_000
                                ),
                            ),
                        ]
                    ),
                ),
                # liblinear fits one topic against the rest in about a second: fast enough for start-up.
                ("model", LogisticRegression(C=10.0, solver="liblinear", class_weight="balanced")),
            ]
        )
        model.fit([normalise(q) for q, _ in examples], [t for _, t in examples])
        return cls(model, list(model.classes_))

    def rank(self, text: str, limit: int = 3) -> list[Match]:
        """The likeliest topics for a message, best first."""
        return self._best(self._scorer.probabilities(normalise(text)), limit)

    def sklearn_rank(self, text: str, limit: int = 3) -> list[Match]:
        """`rank` computed by scikit-learn itself (what the scorer is checked against)."""
        return self._best(self._model.predict_proba([normalise(text)])[0], limit)

    def _best(self, probabilities: Sequence[float], limit: int) -> list[Match]:
        ranked = sorted(zip(self.topics, probabilities, strict=True), key=lambda p: p[1], reverse=True)
        return [Match(t, float(p)) for t, p in ranked[:limit]]

    def reads_as_ordinary(self, text: str) -> bool:
        """Whether a message reads clearly as one of the questions the bot answers: a coop fact, a
        self-care topic, or a question it cannot answer (the weather). Triage then lets the classifier
        alone make it a 911, an emergency room or a crisis only when very sure; the clinical table still
        reads every finding, so "mon bébé de 3 semaines fait de la fièvre, je lui donne quoi?" stays
        urgent (of the corpus's 911 and emergency-room messages, none changes)."""
        best = self.rank(text, 1)
        return bool(best) and best[0].score >= ORDINARY_QUESTION


def examples(content: Content, extra_dir: Path | None = None) -> list[tuple[str, str]]:
    """The example questions of every answer, and those of data/faq/*.csv for topics that exist."""
    pairs = [(q, a.topic) for a in content.answers.values() for qs in a.questions.values() for q in qs]
    if extra_dir is not None and extra_dir.exists():
        known = set(content.answers) | {OFF_TOPIC}
        for path in sorted(extra_dir.glob("*.csv")):
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    question, topic = (row.get("question") or "").strip(), (row.get("topic") or "").strip()
                    if question and topic in known:
                        pairs.append((question, topic))
    return pairs


def load_answer_finder(content: Content, extra_dir: Path | None = None) -> AnswerFinder:
    return AnswerFinder.fit(examples(content, extra_dir))
