"""The clinical table: findings, risk modifiers and the context cues, read from safety/.

The table is written for clinicians (see safety/README.md). Each finding is a sign or symptom
that a member can describe, with the disposition it calls for on its own (`level`), the risk
modifiers or other findings that raise it (`raised`) or lower it (`lowered`), the patterns that
recognise it and examples that the tests run. Modifiers are facts about the person (age, pregnancy,
anticoagulant...) or about time (sudden, for weeks). Context cues tell a finding that is present
now from one that is denied, past, hypothetical or an idiom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from bot.platform.text import normalise
from bot.triage.dispositions import Disposition
from bot.triage.patterns import TableError, TablePattern, compile_pattern, lexicon_regex, vocabulary_of

FRENCH_WORDS_FILE = "french_words.txt"  # real words the corrector must leave alone


@dataclass(frozen=True)
class Patterns:
    """Alternatives (each a list of patterns that must all be found) and exclusions."""

    alternatives: tuple[tuple[TablePattern, ...], ...]
    exclusions: tuple[TablePattern, ...] = ()  # cancel a match they overlap
    unless: tuple[TablePattern, ...] = ()  # anywhere in the message: the finding does not apply
    negatable: bool = True
    general_questions: bool = True  # "c'est quoi la dose qui tue?" is a question about a condition
    ongoing_since: bool = False  # "pu le goût de vivre depuis l'accident": still now, unlike a deficit since a stroke
    contrary: tuple[TablePattern, ...] = ()  # reassurance that takes the finding back ("il respire bien")

    @cached_property
    def literals(self) -> frozenset[str] | None:
        """Strings one of which a text holds for these patterns to say anything of it: the literals of
        each alternative's first pattern and of the reassurances. None when that can't be told."""
        parts = [alternative[0].literals if alternative else None for alternative in self.alternatives]
        parts += [pattern.literals for pattern in self.contrary]
        if not all(parts):
            return None
        return frozenset().union(*(p for p in parts if p))

    def silent_in(self, found: frozenset[str]) -> bool:
        """Whether a text whose literals are `found` (LITERALS.found_in) can't make these patterns speak."""
        literals = self.literals
        return literals is not None and literals.isdisjoint(found)


@dataclass(frozen=True)
class Adjustment:
    """A first-order modifier: when every id of `when` is present and none of `unless`, the finding
    calls for `level`."""

    when: tuple[str, ...]
    level: Disposition
    examples: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()

    def applies(self, context: frozenset[str]) -> bool:
        return set(self.when) <= context and not set(self.unless) & context


@dataclass(frozen=True)
class Finding:
    id: str
    system: str
    label: Mapping[str, str]  # "fr" and "en": what the member described, for explanations
    level: Disposition
    patterns: Patterns
    raised: tuple[Adjustment, ...] = ()
    lowered: tuple[Adjustment, ...] = ()
    resources: tuple[str, ...] = ()  # what the reply adds (antipoison, violence...): texts.yml `ressources`
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()

    def level_with(self, context: frozenset[str]) -> Disposition:
        """The finding's disposition given the other findings and modifiers present."""
        level = self.level
        for adjustment in self.lowered:
            if adjustment.applies(context):
                level = adjustment.level
                break
        for adjustment in self.raised:
            if adjustment.applies(context) and adjustment.level.rank > level.rank:
                level = adjustment.level
        return level


@dataclass(frozen=True)
class Modifier:
    id: str
    label: Mapping[str, str]
    patterns: Patterns
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()


@dataclass(frozen=True)
class AgeBand:
    """Ages that make a modifier: e.g. `nourrisson` under 3 months."""

    modifier: str
    min_months: float
    max_months: float


@dataclass(frozen=True)
class Context:
    history: tuple[TablePattern, ...]  # the finding is over, long ago ("il y a 5 ans")
    since: tuple[TablePattern, ...]  # since an event ("depuis son AVC"): past, unless the finding is ongoing
    present: tuple[TablePattern, ...]  # now ("là", "depuis ce matin"): wins over an earlier history cue
    ongoing: tuple[TablePattern, ...]  # still now ("j'y pense souvent"): for crises, wins over a history cue before
    hypothetical: tuple[TablePattern, ...]  # "si jamais", "au cas où": a hypothesis
    general: tuple[TablePattern, ...]  # "c'est quoi les signes de": a question about a condition
    figurative: tuple[TablePattern, ...]  # idioms, masked before reading ("mort de rire")
    correction: tuple[TablePattern, ...]  # a message that takes back the previous one ("non, c'était en 2019")
    takeback: tuple[TablePattern, ...]  # an opening ("non non", "sorry") that, with a past time, takes back
    health: TablePattern | None  # words that make a message a health message


@dataclass(frozen=True)
class Table:
    findings: tuple[Finding, ...]
    modifiers: tuple[Modifier, ...]
    age_bands: tuple[AgeBand, ...]
    context: Context
    known_words: frozenset[str]
    vocabulary: frozenset[str]
    stems: frozenset[str]

    def finding(self, finding_id: str) -> Finding:
        return self._by_id[finding_id]

    @cached_property
    def _by_id(self) -> dict[str, Finding]:
        return {f.id: f for f in self.findings}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TableError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise TableError(f"{path}: expected a mapping")
    return data


def _label(raw: Any, where: str) -> dict[str, str]:
    if isinstance(raw, str):
        return {"fr": raw, "en": raw}
    if isinstance(raw, dict) and raw.get("fr"):
        return {"fr": str(raw["fr"]), "en": str(raw.get("en") or raw["fr"])}
    raise TableError(f"{where}: label must be text or {{fr: ..., en: ...}}")


class _Compiler:
    def __init__(self, lexicons: Mapping[str, str]) -> None:
        self.lexicons = lexicons
        self.sources: list[str] = []

    def pattern(self, source: Any, where: str = "") -> TablePattern:
        self.sources.append(str(source))
        try:
            return compile_pattern(str(source), self.lexicons)
        except TableError as exc:
            raise TableError(f"{where}: {exc}" if where else str(exc)) from exc

    def patterns(self, raw: Mapping[str, Any], where: str) -> Patterns:
        alternatives = []
        for alternative in raw.get("match") or []:
            sources: Sequence[Any] = [alternative] if isinstance(alternative, str) else alternative
            alternatives.append(tuple(self.pattern(s, where) for s in sources))
        if not alternatives:
            raise TableError(f"{where}: no `match` patterns")
        return Patterns(
            alternatives=tuple(alternatives),
            exclusions=tuple(self.pattern(s, where) for s in raw.get("exclusions") or []),
            unless=tuple(self.pattern(s, where) for s in raw.get("unless") or []),
            negatable=bool(raw.get("negatable", True)),
            general_questions=str(raw.get("general_questions", "apply")) != "ignore",
            ongoing_since=str(raw.get("since_events", "past")) == "ongoing",
            contrary=tuple(self.pattern(s, where) for s in raw.get("contrary") or []),
        )


def _examples(raw: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    examples = raw.get("examples") or {}
    return tuple(examples.get("match") or []), tuple(examples.get("no_match") or [])


def _adjustments(raw: Any, where: str) -> tuple[Adjustment, ...]:
    out = []
    for entry in raw or []:
        try:
            when, unless = entry["if"], entry.get("unless") or ()
            out.append(
                Adjustment(
                    when=tuple([when] if isinstance(when, str) else when),
                    level=Disposition.parse(str(entry["level"])),
                    examples=tuple(entry.get("examples") or []),
                    unless=tuple([unless] if isinstance(unless, str) else unless),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TableError(f"{where}: bad adjustment {entry!r}: {exc}") from exc
    return tuple(out)


def load_table(safety_dir: Path) -> Table:
    """Read and check the whole clinical table; raise TableError when anything is wrong."""
    lexicon_data = _read_yaml(safety_dir / "lexicons.yml")
    raw_lexicons: dict[str, list[str]] = lexicon_data.get("lexicons") or {}
    compiler = _Compiler({name: lexicon_regex(words) for name, words in raw_lexicons.items()})

    findings: list[Finding] = []
    for path in sorted((safety_dir / "findings").glob("*.yml")):
        data = _read_yaml(path)
        system = str(data.get("system") or path.stem)
        for raw in data.get("findings") or []:
            where = f"{path.name}: {raw.get('id', '?')}"
            try:
                match, no_match = _examples(raw)
                findings.append(
                    Finding(
                        id=str(raw["id"]),
                        system=system,
                        label=_label(raw.get("label"), where),
                        level=Disposition.parse(str(raw["level"])),
                        patterns=compiler.patterns(raw, where),
                        raised=_adjustments(raw.get("raised"), where),
                        lowered=_adjustments(raw.get("lowered"), where),
                        resources=tuple(str(r) for r in raw.get("resources") or data.get("resources") or ()),
                        examples_match=match,
                        examples_no_match=no_match,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                if isinstance(exc, TableError):
                    raise
                raise TableError(f"{where}: {exc}") from exc

    modifier_data = _read_yaml(safety_dir / "modifiers.yml")
    modifiers = []
    for raw in modifier_data.get("modifiers") or []:
        where = f"modifiers.yml: {raw.get('id', '?')}"
        match, no_match = _examples(raw)
        modifiers.append(
            Modifier(
                id=str(raw["id"]),
                label=_label(raw.get("label"), where),
                patterns=compiler.patterns(raw, where),
                examples_match=match,
                examples_no_match=no_match,
            )
        )
    age_bands = tuple(
        AgeBand(str(k), float(v.get("from_months", 0)), float(v.get("to_months", 10_000)))
        for k, v in (modifier_data.get("age_bands") or {}).items()
    )

    context_data = _read_yaml(safety_dir / "context.yml")

    def cues(name: str) -> tuple[TablePattern, ...]:
        return tuple(compiler.pattern(s, f"context.yml: {name}") for s in context_data.get(name) or [])

    health_words = context_data.get("health_terms") or []
    context = Context(
        history=cues("history"),
        since=cues("since_events"),
        present=cues("present"),
        ongoing=cues("ongoing"),
        hypothetical=cues("hypothetical"),
        general=cues("general_questions"),
        figurative=cues("figurative"),
        correction=cues("correction"),
        takeback=cues("takeback_openers"),
        health=compile_pattern(lexicon_regex(health_words), {}) if health_words else None,
    )

    ids = [f.id for f in findings] + [m.id for m in modifiers]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise TableError(f"ids used twice: {sorted(duplicates)}")
    known_ids = set(ids) | {band.modifier for band in age_bands}
    for finding in findings:
        for adjustment in (*finding.raised, *finding.lowered):
            unknown = set(adjustment.when + adjustment.unless) - known_ids
            if unknown:
                raise TableError(f"finding {finding.id}: unknown ids {sorted(unknown)} in an adjustment")

    words, stems = vocabulary_of([*compiler.sources, *(w for ws in raw_lexicons.values() for w in ws)])
    known = {normalise(str(w)) for w in lexicon_data.get("known_words") or []}
    word_list = safety_dir / FRENCH_WORDS_FILE
    if word_list.exists():
        lines = word_list.read_text(encoding="utf-8").splitlines()
        known.update(line.strip() for line in lines if line and not line.startswith("#"))
    return Table(
        findings=tuple(findings),
        modifiers=tuple(modifiers),
        age_bands=age_bands,
        context=context,
        known_words=frozenset(known),
        vocabulary=frozenset(words),
        stems=frozenset(stems),
    )
