"""Combines the safety rules with the intent classifier into one disposition and its reason.

The rules decide; the classifier may only raise urgency (TRIAGE.md): the result is the most
urgent of what the rules found, what the classifier's top intent says when it is confident
enough, and any urgent intent it ranks above that intent's raise threshold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.triage.dispositions import Disposition, most_urgent
from bot.triage.rules import Rule, RuleBook, RuleFileError, load_rule_book


@dataclass(frozen=True)
class ClassifierSignal:
    """What the intent classifier said about a message: its ranking of intents."""

    ranking: Sequence[tuple[str, float]] = ()

    @property
    def top(self) -> tuple[str | None, float]:
        return self.ranking[0] if self.ranking else (None, 0.0)

    @classmethod
    def from_parse_data(cls, parse_data: Mapping[str, Any]) -> ClassifierSignal:
        """Read Rasa's parse data; the fallback pseudo-intent is dropped from the ranking."""
        ranking = parse_data.get("intent_ranking") or []
        pairs = [
            (str(item.get("name")), float(item.get("confidence") or 0.0))
            for item in ranking
            if item.get("name") and item.get("name") != "nlu_fallback"
        ]
        if not pairs:
            intent = parse_data.get("intent") or {}
            if intent.get("name") and intent.get("name") != "nlu_fallback":
                pairs = [(str(intent["name"]), float(intent.get("confidence") or 0.0))]
        pairs.sort(key=lambda p: p[1], reverse=True)
        return cls(tuple(pairs))


@dataclass(frozen=True)
class ClassifierPolicy:
    """How intents map to dispositions and how sure the classifier must be (safety/classifier.yml)."""

    dispositions: Mapping[str, Disposition]
    labels: Mapping[str, str]
    min_confidence: float
    raise_thresholds: Mapping[Disposition, float]
    care_mass: float = 1.0
    uncertain_health: Disposition | None = None

    def disposition_of(self, intent: str | None) -> Disposition:
        return self.dispositions.get(intent or "", Disposition.INFO)


@dataclass(frozen=True)
class Decision:
    """A disposition and the factors that produced it (Law 25, s. 12.1)."""

    disposition: Disposition
    source: str  # "regle", "classifieur" or "defaut"
    rules: tuple[Rule, ...] = ()
    intent: str | None = None
    confidence: float = 0.0
    raised_by: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """The reason as stored in the conversation and logs: codes and numbers, no message text."""
        return {
            "disposition": self.disposition.value,
            "source": self.source,
            "regles": [r.id for r in self.rules],
            "intention": self.intent,
            "confiance": round(self.confidence, 3),
            "hausse_par": list(self.raised_by),
        }


def explain_record(
    record: Mapping[str, Any], rule_explanations: Mapping[str, str], intent_labels: Mapping[str, str]
) -> str:
    """Turn a stored decision record into French sentences."""
    parts: list[str] = []
    for rule_id in record.get("regles") or []:
        text = rule_explanations.get(rule_id)
        if text:
            parts.append(text)
    intent = record.get("intention")
    if record.get("source") != "regle" and intent:
        label = intent_labels.get(intent, intent.replace("_", " "))
        pct = round(100 * float(record.get("confiance") or 0))
        parts.append(f"Votre message ressemble à: {label} (certitude {pct} %).")
    if record.get("hausse_par"):
        parts.append("Par prudence, j'ai choisi l'option la plus sûre.")
    if not parts:
        parts.append("Je n'ai pas reconnu de signe d'urgence dans votre message.")
    return " ".join(parts)


class Triage:
    """Decides the disposition of one message. Pure and fast: no I/O after loading."""

    def __init__(self, rule_book: RuleBook, classifier: ClassifierPolicy) -> None:
        self.rule_book = rule_book
        self.classifier = classifier

    def decide(self, message: str, signal: ClassifierSignal) -> Decision:
        seen = self.rule_book.evaluate(message or "")
        fired = seen.fired
        rule_disposition = most_urgent(*(r.disposition for r in fired)) if fired else None
        policy = self.classifier

        # The classifier cannot raise to a disposition the rules looked at and set aside
        # ("pas de douleur à la poitrine", "mort de rire"), nor turn a crisis into 911.
        vetoed = {r.disposition for r in seen.suppressed} - {r.disposition for r in fired}
        if seen.figurative and not fired:
            vetoed |= {Disposition.NEUF_UN_UN, Disposition.CRISE, Disposition.URGENCE}
        if rule_disposition == Disposition.CRISE:
            vetoed.add(Disposition.NEUF_UN_UN)

        intent, confidence = signal.top
        top_disposition = None
        if intent is not None and confidence >= policy.min_confidence:
            top_disposition = policy.disposition_of(intent)
            if top_disposition in vetoed:
                top_disposition = None  # the classifier read an alarm the rules set aside: unsure

        raised: list[tuple[str, Disposition]] = []
        for name, score in signal.ranking:
            candidate = policy.disposition_of(name)
            threshold = policy.raise_thresholds.get(candidate)
            if threshold is not None and score >= threshold and candidate not in vetoed:
                raised.append((name, candidate))
        care = self._care_need(signal)
        if care is not None:
            raised.append(care)
        elif top_disposition is None and seen.health_terms and policy.uncertain_health is not None:
            raised.append(("sante_incertain", policy.uncertain_health))
        raise_disposition = most_urgent(*(d for _, d in raised)) if raised else None

        final = most_urgent(rule_disposition, top_disposition, raise_disposition)
        raised_by: tuple[str, ...] = ()
        if rule_disposition is not None and final == rule_disposition:
            source = "regle"
        elif top_disposition is not None and final == top_disposition:
            source = "classifieur"
        elif raise_disposition is not None and final == raise_disposition:
            source = "classifieur"
            raised_by = tuple(name for name, d in raised if d == final)
        else:
            source = "defaut"
        return Decision(
            disposition=final,
            source=source,
            rules=fired,
            intent=intent,
            confidence=confidence,
            raised_by=raised_by,
        )

    def _care_need(self, signal: ClassifierSignal) -> tuple[str, Disposition] | None:
        """Clinicien or consultation when their intents together carry enough confidence."""
        mass = {Disposition.CLINICIEN: 0.0, Disposition.CONSULTATION: 0.0}
        for name, score in signal.ranking:
            disposition = self.classifier.disposition_of(name)
            if disposition in mass:
                mass[disposition] += score
        if sum(mass.values()) < self.classifier.care_mass:
            return None
        best = max(mass, key=lambda d: (mass[d], d.rank))
        return ("besoin_de_soins", best)

    def explain(self, record: Mapping[str, Any]) -> str:
        """The French explanation of a decision record stored earlier in the conversation."""
        explanations = {r.id: r.explanation for r in self.rule_book.rules}
        return explain_record(record, explanations, self.classifier.labels)


def load_classifier_policy(path: Path) -> ClassifierPolicy:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        intents = data["intents"]
        return ClassifierPolicy(
            dispositions={name: Disposition.parse(str(v["disposition"])) for name, v in intents.items()},
            labels={name: str(v.get("label", name)) for name, v in intents.items()},
            min_confidence=float(data["min_confidence"]),
            raise_thresholds={Disposition.parse(str(k)): float(v) for k, v in data["raise_thresholds"].items()},
            care_mass=float(data.get("care_mass", 1.0)),
            uncertain_health=Disposition.parse(str(data["uncertain_health"])) if data.get("uncertain_health") else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RuleFileError(f"{path}: {exc}") from exc


def load_triage(safety_dir: Path) -> Triage:
    """Load the clinician-reviewed rules and the classifier policy from `safety_dir`."""
    return Triage(
        load_rule_book(safety_dir / "rules.yml"),
        load_classifier_policy(safety_dir / "classifier.yml"),
    )
