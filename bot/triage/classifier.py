"""The second signal of triage: a classifier of dispositions trained on thousands of member messages.

It reads the same normalised text as the clinical table, as word and character n-grams, and gives
a probability to each disposition. It is trained on `safety/corpus/*.csv` (message,expected), in a
few seconds; the trained model is cached under `models/` by a hash of the corpus and of this
module's settings, so a changed corpus is never served by a stale model.
The engine lets it raise urgency only (bot/triage/engine.py).
"""

from __future__ import annotations

import csv
import hashlib
import logging
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.platform.linear_scorer import LinearTextScorer
from bot.platform.text import normalise
from bot.triage.dispositions import Disposition

logger = logging.getLogger(__name__)
RECENT_TEXTS = 4096  # texts whose probabilities are remembered
VERSION = "1"  # change when the features or the model below change


@dataclass(frozen=True)
class Example:
    text: str
    disposition: Disposition


def read_corpus(corpus_dir: Path) -> list[Example]:
    """Every labelled message of the corpus files, in a stable order."""
    examples: list[Example] = []
    for path in sorted(corpus_dir.glob("*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                message, expected = (row.get("message") or "").strip(), (row.get("expected") or "").strip()
                if message and expected:
                    examples.append(Example(message, Disposition.parse(expected)))
    return examples


def corpus_fingerprint(corpus_dir: Path) -> str:
    digest = hashlib.sha256(VERSION.encode())
    for path in sorted(corpus_dir.glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _prepare(text: str) -> str:
    return normalise(text)


class DispositionClassifier:
    """Word and character n-grams, then a multinomial logistic regression."""

    def __init__(self, model: Any) -> None:
        self._model = model
        self.classes = [Disposition(c) for c in model.classes_]
        self._scorer = LinearTextScorer(model)  # what predict_proba computes, in a tenth of the time
        self._recent: dict[str, dict[Disposition, float]] = {}

    @classmethod
    def train(cls, examples: Sequence[Example]) -> DispositionClassifier:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, Pipeline

        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=60_000)),
                (
                    "chars",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=150_000
                    ),
                ),
            ]
        )
        model = Pipeline(
            [
                ("features", features),
                ("model", LogisticRegression(C=8.0, max_iter=3000, class_weight="balanced")),
            ]
        )
        model.fit([_prepare(e.text) for e in examples], [e.disposition.value for e in examples])
        return cls(model)

    def probabilities(self, texts: Sequence[str]) -> list[dict[Disposition, float]]:
        """The probability of each disposition, for each text."""
        return [dict(self._probabilities(_prepare(t))) for t in texts]

    def _probabilities(self, text: str) -> dict[Disposition, float]:
        # A request is read as one story every turn, with each of its earlier sentences again: those
        # are remembered (a few thousand texts at most, dropped all at once when full).
        row = self._recent.get(text)
        if row is None:
            scores = self._scorer.probabilities(text)
            row = {d: float(p) for d, p in zip(self.classes, scores, strict=True)}
            if len(self._recent) >= RECENT_TEXTS:
                self._recent = {}
            self._recent[text] = row
        return row

    def sklearn_probabilities(self, texts: Sequence[str]) -> list[list[float]]:
        """The same probabilities computed by scikit-learn itself (what the scorer is checked against)."""
        return [list(row) for row in self._model.predict_proba([_prepare(t) for t in texts])]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(self._model, protocol=pickle.HIGHEST_PROTOCOL))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> DispositionClassifier:
        # The file is written by this project's own training (see `cached`), never received from outside.
        return cls(pickle.loads(path.read_bytes()))


def cached(corpus_dir: Path, cache_dir: Path) -> DispositionClassifier:
    """The classifier for this corpus: loaded from the cache, or trained and cached."""
    path = cache_dir / f"triage-classifier-{corpus_fingerprint(corpus_dir)}.pkl"
    if path.exists():
        try:
            return DispositionClassifier.load(path)
        except Exception:  # a partial or foreign file: train again
            logger.warning("triage classifier cache unreadable, retraining")
    examples = read_corpus(corpus_dir)
    if not examples:
        raise ValueError(f"{corpus_dir}: no labelled messages to train the triage classifier")
    classifier = DispositionClassifier.train(examples)
    for old in cache_dir.glob("triage-classifier-*.pkl"):
        old.unlink(missing_ok=True)
    classifier.save(path)
    return classifier


def peaks(rows: Iterable[Mapping[Disposition, float]]) -> dict[Disposition, float]:
    """The highest probability of each disposition over several texts (the sentences of a message)."""
    best: dict[Disposition, float] = {}
    for row in rows:
        for d, p in row.items():
            best[d] = max(best.get(d, 0.0), p)
    return best
