"""The pattern language of the clinical table (safety/), and the typo corrector that serves it.

Patterns are regular expressions over normalised words (see `bot.platform.text.normalise`) with two
additions that keep them readable by clinicians:

- `{name}` stands for a lexicon: a list of words or phrases, where `*` ending a word means "any
  ending" (`suicid*` matches suicide, suicider, suicidaire);
- `~` stands for a gap of up to three words (`~5`: up to five) that never crosses punctuation,
  "mais" or a negation.

Every pattern is anchored at word boundaries.
"""

from __future__ import annotations

import re
import re._constants as sre_constants  # the parsed form of a regex, to find the words every match holds
import re._parser as sre_parser
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bot.platform.text import normalise


class TableError(ValueError):
    """A file of the clinical table is malformed: refuse to start rather than triage with half of it."""


NEGATION_CUES = frozenset(
    {
        "pas",
        "aucun",
        "aucune",
        "sans",
        "jamais",
        "ni",
        "non",
        "no",
        "not",
        "never",
        "without",
        "dont",
        "nie",
        "denies",
        "rien",
        "nothing",
    }
)
# "pas juste", "pas seulement": "not only", which adds rather than negates.
_INTENSIFIERS_AFTER_PAS = frozenset({"juste", "seulement", "que", "only", "just"})
# Before "pas mal", these make it "no pain" ("j'ai pas mal", "ça fait pas mal"); elsewhere it means
# "quite a lot" ("ça serre pas mal dans la poitrine").
_HAVE_OR_DO = frozenset({"ai", "a", "as", "avons", "avez", "ont", "avait", "avais", "fait", "faisait", "y"})
CLAUSE_BOUNDARIES = frozenset({".", ",", ";", "!", "?", ":", "mais", "et", "sauf", "but", "and", "alors", "puis"})
NEGATION_WINDOW = 4  # words before a match that can negate it
# A subject right after a negation that ends a verb starts a new clause, unmarked in SMS
# ("ca marche pas je suis plus capable de finir mes phrases").
_SUBJECTS = frozenset({"je", "j", "il", "elle", "on", "tu", "ils", "elles", "ca", "i", "he", "she", "we", "they"})
_CLOSING_NEGATIONS = frozenset({"pas", "plus", "jamais", "rien", "not", "never"})
# Before a subject, these keep it in the negated clause ("je pense pas que je vais mourir", "not that I").
_SUBORDINATING = frozenset({"que", "qu", "that", "think", "pense", "crois", "believe", "feel", "si", "if"})
# English "n't" (normalised to "didn t") after these denies what follows. Not after can, won, couldn:
# "can't breathe", "won't wake up", "can't stop bleeding" are the finding itself.
_ENGLISH_NOT_STATE = frozenset({"don", "didn", "doesn", "isn", "wasn", "aren", "weren", "hasn", "haven", "hadn", "ain"})

_WORD = r"[a-z0-9][a-z0-9-]*"
_GAP_WORD = rf"(?:(?!(?:mais|pas|sans|aucune?|jamais|but|not|no)\b){_WORD} )"
_BOUNDARY_LEFT = r"(?<![a-z0-9-])"
_BOUNDARY_RIGHT = r"(?:(?<= )|(?![a-z0-9]))"  # a match ending in a gap word ends at a space


def is_negated(text: str, start: int) -> bool:
    """Whether a negation cue stands within a few words before `start`, in the same clause."""
    before = text[:start].split()
    words = before + text[start:].split()
    new_subject = False  # a subject between the negation and the match starts another clause
    for i in range(len(before) - 1, max(-1, len(before) - 1 - NEGATION_WINDOW), -1):
        word = words[i]
        if word in CLAUSE_BOUNDARIES:
            return False
        if word in _SUBJECTS and i > 0 and words[i - 1] in _CLOSING_NEGATIONS:
            return False  # "ça marche pas je suis plus capable...": the negation closed the clause before
        if word in _SUBJECTS and i > 0 and words[i - 1] not in _SUBORDINATING:
            new_subject = True  # "je fais rien de dramatique je veux juste dire bye": not "pense pas que je"
            continue
        if new_subject and word in NEGATION_CUES:
            return False
        if word == "t" and i > 0 and words[i - 1] in _ENGLISH_NOT_STATE:
            return True  # "she didn't pass out", "he doesn't have a fever"
        if word not in NEGATION_CUES:
            continue
        following = words[i + 1 : i + 3]
        if word == "pas" and following[:1] and following[0] in _INTENSIFIERS_AFTER_PAS:
            continue
        if (
            word == "pas"
            and following[:1] == ["mal"]
            and ((following[1:2] and following[1] in {"de", "d", "mal"}) or (i == 0 or words[i - 1] not in _HAVE_OR_DO))
        ):
            continue  # "pas mal de douleur", "ça serre pas mal": a lot; but "j'ai pas mal", "ça fait pas mal"
        if word == "no" and following[:1] and following[0] in {"longer", "more"}:
            continue  # "no longer breathing" is the finding itself
        if word == "jamais" and i > 0 and words[i - 1] == "si":
            continue  # "si jamais": a hypothesis, not a negation
        return True
    return False


def lexicon_regex(words: Iterable[str]) -> str:
    """One alternation for a lexicon; longest phrases first so that they win over their prefixes."""
    parts = []
    for word in sorted({w.strip().lower() for w in words if str(w).strip()}, key=len, reverse=True):
        stem = word.endswith("*")
        word = normalise(word.rstrip("*"))
        parts.append(re.escape(word) + ("[a-z0-9-]*" if stem else ""))
    return "(?:" + "|".join(parts) + ")"


class TablePattern:
    """A compiled pattern of the table, with the literal strings one of which every match contains.

    Most patterns are absent from most messages, and a regex that starts with a look-behind is tried
    at every position of the text. Reading a request of eight messages as one story took 18 ms, most
    of it in such scans. So the literals of every pattern are indexed (`LiteralIndex`): a text is
    searched for all of them once, and a pattern none of whose literals occur is not run. The answers
    are exactly those of the regex: the literals are a necessary condition worked out from the regex's
    own parse (`required_literals`)."""

    __slots__ = ("literals", "pattern", "regex")

    def __init__(self, regex: re.Pattern[str]) -> None:
        self.regex = regex
        self.pattern = regex.pattern
        self.literals = required_literals(regex)
        if self.literals:
            LITERALS.add(self.literals)

    def _may_match(self, text: str) -> bool:
        return not self.literals or not self.literals.isdisjoint(LITERALS.found_in(text))

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text) if self._may_match(text) else None

    def match(self, text: str) -> re.Match[str] | None:
        return self.regex.match(text) if self._may_match(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text) if self._may_match(text) else iter(())

    def sub(self, replacement: str, text: str) -> str:
        return self.regex.sub(replacement, text) if self._may_match(text) else text


class LiteralIndex:
    """The literals of the table's patterns, by their first three letters, and which occur in a text.

    `found_in` remembers its last text: reading a message asks about the same text for every pattern."""

    def __init__(self) -> None:
        self._by_trigram: dict[str, set[str]] = {}
        self._short: set[str] = set()
        self._last: tuple[str, frozenset[str]] = ("", frozenset())

    def add(self, literals: Iterable[str]) -> None:
        for literal in literals:
            if len(literal) < 3:
                self._short.add(literal)
            else:
                self._by_trigram.setdefault(literal[:3], set()).add(literal)
        self._last = ("", frozenset())

    def found_in(self, text: str) -> frozenset[str]:
        last_text, last_found = self._last  # one tuple, read and written whole: safe across threads
        if last_text is text or last_text == text:
            return last_found
        found = {s for s in self._short if s in text}
        by_trigram = self._by_trigram
        for trigram in {text[i : i + 3] for i in range(len(text) - 2)}:
            found.update(s for s in by_trigram.get(trigram, ()) if s in text)
        self._last = (text, frozenset(found))
        return self._last[1]


LITERALS = LiteralIndex()  # shared by every table this process loads: a superset is still exact


def required_literals(regex: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which occurs in every match of `regex`; None when none can be told."""
    if regex.flags & re.IGNORECASE:
        return None
    return _required(sre_parser.parse(regex.pattern, regex.flags))


def _required(items: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    """For a sequence of parsed items: the best of the requirements its items impose, each of them
    a set of strings one of which must occur (a run of literals, a group, every branch of an
    alternation, a repeat of at least one). Look-arounds, classes and optional parts impose none."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, arg in items:
        if op is sre_constants.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            candidates.append(frozenset(["".join(run)]))
            run = []
        found: frozenset[str] | None = None
        if op is sre_constants.SUBPATTERN and not arg[1] & sre_constants.SRE_FLAG_IGNORECASE:
            found = _required(arg[3])
        elif op is sre_constants.BRANCH:
            branches = [_required(branch) for branch in arg[1]]
            if all(branches):
                found = frozenset().union(*(b for b in branches if b))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            if arg[0] >= 1:
                found = _required(arg[2])
        elif op is sre_constants.ATOMIC_GROUP:
            found = _required(arg)
        if found:
            candidates.append(found)
    if run:
        candidates.append(frozenset(["".join(run)]))
    if not candidates:
        return None
    # Fewest and longest strings: the rarer the test passes, the more scans it saves.
    return max(candidates, key=lambda c: (min(map(len, c)) >= 3, -len(c), min(map(len, c))))


def compile_pattern(source: str, lexicons: Mapping[str, str]) -> TablePattern:
    """Compile one pattern: expand `{lexicon}`, `~`, `word*`, and anchor at word boundaries."""

    def expand_lexicon(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in lexicons:
            raise TableError(f"unknown lexicon {{{name}}} in pattern {source!r}")
        return lexicons[name]

    regex = re.sub(r"\{([a-z_0-9]+)\}", expand_lexicon, str(source).strip())
    regex = re.sub(r"(?<=[a-z])\*", "[a-z0-9-]*", regex)
    # Each gap word carries its own trailing space, so the space after "~" is dropped.
    regex = re.sub(r"( ?)~(\d*) ?", lambda m: f"{m.group(1)}{_GAP_WORD}{{0,{m.group(2) or 3}}}", regex)
    try:
        return TablePattern(re.compile(_BOUNDARY_LEFT + "(?:" + regex + ")" + _BOUNDARY_RIGHT))
    except re.error as exc:
        raise TableError(f"bad pattern {source!r}: {exc}") from exc


def vocabulary_of(sources: Iterable[str]) -> tuple[set[str], set[str]]:
    """The words (5 letters or more) and the stems (`word*`) written in patterns or lexicons."""
    words: set[str] = set()
    stems: set[str] = set()
    for source in sources:
        for part in re.findall(r"[a-z]{5,}\*?", normalise(str(source)).replace(" * ", "* ")):
            (stems if part.endswith("*") else words).add(part.rstrip("*"))
        for part in re.findall(r"[a-z]{5,}\*", str(source)):
            stems.add(normalise(part.rstrip("*")))
    return words, stems


MAX_ENDING = 4  # letters after a misspelt stem that the corrector keeps ("sucid|aire")


class SpellingCorrector:
    """Corrects a word one edit away from the table's vocabulary ("poitrinne" -> "poitrine").

    Uses a deletion index (SymSpell at distance one) so a message costs a few dictionary
    look-ups per word, not a comparison against every word of the vocabulary. Real words
    (French, English, Quebec) are never touched.
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
        self._cache: dict[str, str] = {}

    def correct_word(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is None:
            cached = self._correct(word)
            if len(self._cache) < 50_000:
                self._cache[word] = cached
        return cached

    def _correct(self, word: str) -> str:
        if len(word) < self.MIN_LENGTH or word in self.known or not word.isalpha():
            return word
        if any(word.startswith(stem) for stem in self.stems):
            return word
        for variant in [word, *sorted(_deletions(word))]:
            for target in self._index.get(variant, ()):
                if target in self.vocabulary and one_edit_apart(word, target):
                    return target
        # A misspelt stem followed by a short ending: "sucidaire" -> "suicid" + "aire" (but a longer
        # word is another word: "wheelchair" is not "wheez" + "chair").
        for cut in range(max(self.MIN_LENGTH, len(word) - MAX_ENDING), len(word)):
            head, tail = word[:cut], word[cut:]
            for variant in [head, *sorted(_deletions(head))]:
                for target in self._index.get(variant, ()):
                    if target in self.stems and one_edit_apart(head, target):
                        return target + tail
        return word

    def correct(self, text: str) -> str:
        return " ".join(self.correct_word(w) for w in text.split())


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def one_edit_apart(a: str, b: str) -> bool:
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
