"""The deterministic safety layer: clinician-reviewed rules read from `safety/rules.yml`.

A rule fires when one of its alternatives matches the normalised message (see `bot.text`).
An alternative is one pattern, or a list of patterns that must all match. Patterns are regular
expressions over normalised words with two additions that keep them readable:

- `{name}` stands for a lexicon: a list of words or phrases, `*` ending a word means "any ending"
  (`suicid*` matches suicide, suicider, suicidaire);
- `~` stands for a gap of up to three words (`~5`: up to five) that never crosses a clause
  boundary or a negation.

A match is ignored when a negation cue comes just before it in the same clause ("pas de douleur
à la poitrine") unless the rule says `negatable: false` (rules whose symptom is itself a
negation: "il respire pas"), or when one of the rule's `exclusions` covers it ("mort de rire").
Words the member misspells by one letter are corrected toward the rules' own vocabulary first.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.text import normalise
from bot.triage.dispositions import Disposition

NEGATION_CUES = frozenset(
    {"pas", "aucun", "aucune", "sans", "jamais", "ni", "non", "no", "not", "never", "without", "dont", "nie"}
)
# "pas juste", "pas seulement": "not only", which adds rather than negates.
_INTENSIFIERS_AFTER_PAS = frozenset({"juste", "seulement", "que", "only", "just"})
CLAUSE_BOUNDARIES = frozenset({".", ",", ";", "!", "?", ":", "mais", "et", "sauf", "but", "and", "alors", "puis"})
NEGATION_WINDOW = 4  # words before a match that can negate it
FRENCH_WORDS_FILE = "french_words.txt"  # real words the corrector must leave alone

_WORD = r"[a-z0-9][a-z0-9-]*"
_GAP_WORD = rf"(?:(?!(?:mais|pas|sans|aucune?|jamais|but|not)\b){_WORD} )"
_BOUNDARY_LEFT = r"(?<![a-z0-9-])"
_BOUNDARY_RIGHT = r"(?![a-z0-9])"


FIRES, SUPPRESSED, NO = "fires", "suppressed", "no"


class RuleFileError(ValueError):
    """The rules file is malformed: refuse to start rather than triage with half the rules."""


@dataclass(frozen=True)
class Rule:
    """One clinician-reviewed safety rule."""

    id: str
    disposition: Disposition
    explanation: str
    alternatives: tuple[tuple[re.Pattern[str], ...], ...]
    exclusions: tuple[re.Pattern[str], ...]
    negatable: bool
    examples_match: tuple[str, ...]
    examples_no_match: tuple[str, ...]

    def fires_on(self, text: str) -> bool:
        """Whether the rule fires on already normalised and corrected text."""
        return self.verdict(text) == FIRES

    def verdict(self, text: str) -> str:
        """FIRES; SUPPRESSED when a match was cancelled by a negation or an exclusion; or NO."""
        suppressed = False
        for alternative in self.alternatives:
            states = [self._match_state(p, text) for p in alternative]
            if all(state == FIRES for state in states):
                return FIRES
            if all(states) and SUPPRESSED in states:
                suppressed = True
        return SUPPRESSED if suppressed else NO

    def _match_state(self, pattern: re.Pattern[str], text: str) -> str | None:
        state = None
        for match in pattern.finditer(text):
            if (self.negatable and is_negated(text, match.start())) or any(
                _overlaps(match.span(), e.span()) for ex in self.exclusions for e in ex.finditer(text)
            ):
                state = SUPPRESSED
            else:
                return FIRES
        return state


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def is_negated(text: str, start: int) -> bool:
    """Whether a negation cue stands within a few words before `start`, in the same clause."""
    before = text[:start].split()
    words = before + text[start:].split()
    for i in range(len(before) - 1, max(-1, len(before) - 1 - NEGATION_WINDOW), -1):
        word = words[i]
        if word in CLAUSE_BOUNDARIES:
            return False
        if word not in NEGATION_CUES:
            continue
        following = words[i + 1 : i + 3]
        if word == "pas" and following[:1] and following[0] in _INTENSIFIERS_AFTER_PAS:
            continue
        if word == "pas" and following[:1] == ["mal"] and following[1:2] and following[1] in {"de", "d", "mal"}:
            continue  # "pas mal de douleur", "pas mal mal": a lot, not none
        return True
    return False


def _lexicon_regex(words: Iterable[str]) -> str:
    parts = []
    for word in sorted({w.strip().lower() for w in words if w.strip()}, key=len, reverse=True):
        stem = word.endswith("*")
        word = normalise(word.rstrip("*"))
        parts.append(re.escape(word) + ("[a-z0-9-]*" if stem else ""))
    return "(?:" + "|".join(parts) + ")"


def compile_pattern(source: str, lexicons: Mapping[str, str]) -> re.Pattern[str]:
    """Compile one rule pattern: expand `{lexicon}`, `~`, `word*`, and anchor at word boundaries."""

    def expand_lexicon(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in lexicons:
            raise RuleFileError(f"unknown lexicon {{{name}}} in pattern {source!r}")
        return lexicons[name]

    regex = re.sub(r"\{([a-z_0-9]+)\}", expand_lexicon, source.strip())
    regex = re.sub(r"(?<=[a-z])\*", "[a-z0-9-]*", regex)
    # Each gap word carries its own trailing space, so the space after "~" is dropped.
    regex = re.sub(r"( ?)~(\d*) ?", lambda m: f"{m.group(1)}{_GAP_WORD}{{0,{m.group(2) or 3}}}", regex)
    try:
        return re.compile(_BOUNDARY_LEFT + regex + _BOUNDARY_RIGHT)
    except re.error as exc:
        raise RuleFileError(f"bad pattern {source!r}: {exc}") from exc


class SpellingCorrector:
    """Corrects a word one edit away from the rules' vocabulary ("poitrinne" -> "poitrine").

    Uses a deletion index (SymSpell at distance one) so a message costs a few dictionary
    look-ups per word, not a comparison against every word of the vocabulary.
    """

    MIN_LENGTH = 5

    def __init__(self, vocabulary: Iterable[str], stems: Iterable[str], known_words: Iterable[str]) -> None:
        self.vocabulary = {w for w in vocabulary if len(w) >= self.MIN_LENGTH}
        self.stems = {s for s in stems if len(s) >= self.MIN_LENGTH}
        self.known = set(known_words) | set(vocabulary)
        self._index: dict[str, list[str]] = {}
        for word in sorted(self.vocabulary | self.stems):
            for variant in _deletions(word) | {word}:
                self._index.setdefault(variant, []).append(word)

    def correct_word(self, word: str) -> str:
        if len(word) < self.MIN_LENGTH or word in self.known or not word.isalpha():
            return word
        if any(word.startswith(stem) for stem in self.stems):
            return word
        for variant in [word, *sorted(_deletions(word))]:
            for target in self._index.get(variant, ()):
                if target in self.vocabulary and _one_edit_apart(word, target):
                    return target
        # A misspelt stem followed by an ending: "sucidaire" -> "suicid" + "aire".
        for cut in range(self.MIN_LENGTH, len(word)):
            head, tail = word[:cut], word[cut:]
            for variant in [head, *sorted(_deletions(head))]:
                for target in self._index.get(variant, ()):
                    if target in self.stems and _one_edit_apart(head, target):
                        return target + tail
        return word

    def correct(self, text: str) -> str:
        return " ".join(self.correct_word(w) for w in text.split())


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit_apart(a: str, b: str) -> bool:
    """One insertion, deletion, substitution or swap of neighbours turns `a` into `b`."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


@dataclass(frozen=True)
class RuleMatches:
    """What the rules saw in one message."""

    fired: tuple[Rule, ...]
    suppressed: tuple[Rule, ...]  # matched, but negated or covered by an exclusion
    figurative: bool  # an idiom such as "mort de rire" is present
    health_terms: bool  # the message speaks of the body or of symptoms


@dataclass(frozen=True)
class RuleBook:
    """All safety rules, with the corrector built from their vocabulary."""

    rules: tuple[Rule, ...]
    corrector: SpellingCorrector
    figurative: tuple[re.Pattern[str], ...] = ()
    health_terms: re.Pattern[str] | None = None

    def prepare(self, message: str) -> str:
        """Normalise and correct a message once, for all rules."""
        return self.corrector.correct(normalise(message))

    def evaluate(self, message: str) -> RuleMatches:
        """Run every rule on a raw member message."""
        text = self.prepare(message)
        verdicts = [(rule, rule.verdict(text)) for rule in self.rules]
        return RuleMatches(
            fired=tuple(r for r, v in verdicts if v == FIRES),
            suppressed=tuple(r for r, v in verdicts if v == SUPPRESSED),
            figurative=any(p.search(text) for p in self.figurative),
            health_terms=bool(self.health_terms and self.health_terms.search(text)),
        )

    def matching(self, message: str) -> list[Rule]:
        """The rules that fire on a raw member message."""
        return list(self.evaluate(message).fired)


def load_rule_book(path: Path) -> RuleBook:
    """Read and compile the rules file; raise RuleFileError if anything is wrong with it."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "rules" not in data:
        raise RuleFileError(f"{path}: expected a mapping with 'lexicons' and 'rules'")
    raw_lexicons: dict[str, list[str]] = data.get("lexicons") or {}
    lexicons = {name: _lexicon_regex(words) for name, words in raw_lexicons.items()}
    rules = tuple(_parse_rule(raw, lexicons) for raw in data["rules"])
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise RuleFileError(f"{path}: duplicate rule ids")

    vocabulary: set[str] = set()
    stems: set[str] = set()
    for words in raw_lexicons.values():
        for word in words:
            for part in normalise(word.rstrip("*")).split():
                (stems if word.endswith("*") and part == normalise(word.rstrip("*")).split()[-1] else vocabulary).add(
                    part
                )
    for raw in data["rules"]:
        for pattern in _pattern_sources(raw):
            for part in re.findall(r"[a-z]{5,}\*?", pattern):
                (stems if part.endswith("*") else vocabulary).add(part.rstrip("*"))
    known = {normalise(w) for w in [*(data.get("known_words") or []), *(data.get("english_words") or [])]}
    word_list = path.parent / FRENCH_WORDS_FILE
    if word_list.exists():
        lines = word_list.read_text(encoding="utf-8").splitlines()
        known.update(line.strip() for line in lines if line and not line.startswith("#"))
    figurative = tuple(compile_pattern(p, lexicons) for p in data.get("figurative") or [])
    health = data.get("health_terms")
    return RuleBook(
        rules=rules,
        corrector=SpellingCorrector(vocabulary, stems, known),
        figurative=figurative,
        health_terms=compile_pattern(_lexicon_regex(health), lexicons) if health else None,
    )


def _pattern_sources(raw: Mapping[str, Any]) -> list[str]:
    sources: list[str] = []
    for alternative in raw.get("match") or []:
        sources.extend([alternative] if isinstance(alternative, str) else alternative)
    return sources


def _parse_rule(raw: Mapping[str, Any], lexicons: Mapping[str, str]) -> Rule:
    rule_id = str(raw.get("id", "?"))
    try:
        alternatives: list[tuple[re.Pattern[str], ...]] = []
        for alternative in raw["match"]:
            sources: Sequence[str] = [alternative] if isinstance(alternative, str) else alternative
            alternatives.append(tuple(compile_pattern(s, lexicons) for s in sources))
        examples = raw.get("examples") or {}
        return Rule(
            id=rule_id,
            disposition=Disposition.parse(str(raw["disposition"])),
            explanation=str(raw["explanation"]).strip(),
            alternatives=tuple(alternatives),
            exclusions=tuple(compile_pattern(s, lexicons) for s in raw.get("exclusions") or []),
            negatable=bool(raw.get("negatable", True)),
            examples_match=tuple(examples.get("match") or []),
            examples_no_match=tuple(examples.get("no_match") or []),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, RuleFileError):
            raise
        raise RuleFileError(f"rule {rule_id}: {exc}") from exc
