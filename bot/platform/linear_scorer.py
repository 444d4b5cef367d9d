"""A fitted text classifier of scikit-learn, evaluated for one text without its per-call overhead.

Triage and the answer finder each classify every member message with the same kind of pipeline:
word and character n-grams weighted by TF-IDF, then a logistic regression. scikit-learn's
`predict_proba` spends about 2-4 ms per call on checks and sparse matrices for a text of a few hundred
n-grams, whose sums take a tenth of that. `LinearTextScorer` reads the fitted pipeline's vocabularies
and weights once and does the same steps in the same order: counts, sublinear tf, idf, l2 norm per
vectorizer, then the regression's scores and probabilities (softmax for a multinomial model, one
sigmoid per class normalised for one-vs-rest, as scikit-learn does). The tests compare both on whole
corpora (tests/integration/test_linear_scorer.py).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np


class LinearTextScorer:
    def __init__(self, pipeline: Any) -> None:
        features, regression = pipeline.named_steps["features"], pipeline.named_steps["model"]
        self._parts: list[tuple[Callable[[str], list[str]], dict[str, int], Any, Any]] = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            if not (
                vectorizer.sublinear_tf and vectorizer.use_idf and vectorizer.norm == "l2" and not vectorizer.binary
            ):
                raise ValueError("LinearTextScorer: TF-IDF with sublinear tf and l2 norm expected")
            size = len(vectorizer.vocabulary_)
            coef = np.ascontiguousarray(regression.coef_[:, offset : offset + size])
            self._parts.append((vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, coef))
            offset += size
        if len(regression.classes_) < 3 or offset != regression.coef_.shape[1]:
            raise ValueError("LinearTextScorer: a model of three classes or more over these features expected")
        # scikit-learn's rule (LogisticRegression.predict_proba): liblinear and "ovr" fit one class
        # against the rest; otherwise the model is multinomial.
        self._one_vs_rest = regression.multi_class == "ovr" or (
            regression.multi_class == "auto" and regression.solver == "liblinear"
        )
        self._intercept = np.asarray(regression.intercept_, dtype=np.float64)

    def probabilities(self, text: str) -> Any:
        """One probability per class, in the order of the model's `classes_`."""
        scores = self._intercept.copy()
        for analyze, vocabulary, idf, coef in self._parts:
            counts = Counter(i for i in map(vocabulary.get, analyze(text)) if i is not None)
            if not counts:
                continue
            columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            weights = (np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0) * idf[columns]
            norm = np.sqrt(np.dot(weights, weights))
            if norm > 0:
                scores += coef[:, columns] @ (weights / norm)
        # One-vs-rest: a sigmoid per class; multinomial: softmax (shifted by the maximum, as scikit-learn).
        scores = 1.0 / (1.0 + np.exp(-scores)) if self._one_vs_rest else np.exp(scores - scores.max())
        return scores / scores.sum()
