"""Reads one member message against the clinical table: which findings are present now, which
were denied, are past or hypothetical, and which risk modifiers apply.

The reading works on the normalised text (`bot.platform.text.normalise`), corrected toward the table's
vocabulary, with idioms masked ("mort de rire"). A finding matched just after a negation in its
clause is denied; one whose sentence places it long ago ("il y a 5 ans", "in 2015") is past
unless a cue of the present comes closer ("et là", "depuis ce matin"); one under a hypothetical
cue ("si jamais", "c'est quoi les signes de") is hypothetical.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.platform.text import normalise
from bot.triage.patterns import LITERALS, SpellingCorrector, TablePattern, is_negated
from bot.triage.table import Context, Patterns, Table

PRESENT, DENIED, PAST, HYPOTHETICAL = "present", "nie", "passe", "hypothese"
SINCE = "depuis"  # "depuis son AVC": the event is past, and so is what it left, unless the finding is ongoing
GENERAL = "question"  # a question about a condition ("c'est quoi les signes d'un AVC?")
ONGOING = "toujours"  # "j'y pense souvent": still now, whatever time the sentence opened with
_SENTENCE_END = frozenset({".", "!", "?", ";"})
_CLAUSE_END = frozenset({",", ":", "mais", "but", "et", "and", "pis"})
_IDIOM = "idiome"
MIN_WORDS = 3  # fewer words than this, and no finding nor health word: nothing for the classifier to read

_NUMBER_WORDS = {
    "un": 1, "une": 1, "one": 1, "a": 1, "deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4, "four": 4,
    "cinq": 5, "five": 5, "six": 6, "sept": 7, "seven": 7, "huit": 8, "eight": 8, "neuf": 9, "nine": 9,
    "dix": 10, "ten": 10, "onze": 11, "eleven": 11, "douze": 12, "twelve": 12, "quinze": 15, "vingt": 20,
}  # fmt: skip
_UNIT_MONTHS = {"jour": 1 / 30, "day": 1 / 30, "semaine": 7 / 30, "sem": 7 / 30, "week": 7 / 30, "wk": 7 / 30,
                "mois": 1.0, "moi": 1.0, "mwa": 1.0, "month": 1.0, "mo": 1.0, "an": 12.0, "annee": 12.0,
                "year": 12.0, "yr": 12.0, "yo": 12.0}  # fmt: skip
_AGE = re.compile(
    r"(?<![a-z0-9.])(?P<n>\d{1,3}|" + "|".join(k for k in _NUMBER_WORDS if k != "a") + r")"
    r" ?(?P<unit>jours?|days?|semaines?|sem|weeks?|wks?|mois|moi|mwa|months?|mos?|ans?|annees?|years?|yrs?|yo)(?![a-z])"
    r"(?P<after>(?: [a-z0-9]+){0,2})"
)
_BARE_AGE = re.compile(
    r"(?<![a-z])(?:he|she|i|son|daughter|mom|mother|dad|father|husband|wife|boy|girl|baby|kid|child|grandma|"
    r"grandpa|grandmother|grandfather|brother|sister|friend|neighbour|neighbor|who) "
    r"(?:is|s|m|am|was|just turned|turned) "
    r"(?P<n>\d{1,3})(?= (?:and|but|with|now|today|so|yo|,|\.|;|!|\?)(?: |$)| ?$)"
)
_DURATION_BEFORE = re.compile(
    r"(?<![a-z])(depuis|il y a|ca fait|fait|pendant|dans|durant|for|since|over|past|last|about|plus de|moins de|"
    r"enceinte de|grossesse de|enceinte|pregnant|a|at|de grossesse|every|chaque|toutes les|tous les|"
    r"en|aux|les|ces|des|x|fois|clean|sober|sobre)( (environ|presque|a peu pres|about|almost|genre|au moins|at least|"
    r"seulement|only|juste|pas|plus|moins|de))? ?$"
)
_ALWAYS_DURATION = re.compile(
    r"(?<![a-z])(depuis|il y a|ca fait|pendant|durant|since|for the (past|last)|in the (past|last))"
    r"( (environ|presque|about|almost|genre|plus de|moins de))? ?$"
)
_AGE_WORDS_BEFORE = re.compile(
    r"(?<![a-z])(bebe|bb|baby|nourrisson|infant|enfant|child|kid|fils|fille|son|daughter|gars|garcon|boy|girl|petit|petite|"
    r"puce|poupon|ado|adolescent|teen|homme|femme|man|woman|pere|mere|father|mother|dad|mom|grand pere|"
    r"grand mere|grandpa|grandma|mari|epoux|epouse|conjoint|conjointe|husband|wife|chum|blonde|voisin|voisine|"
    r"neighbour|neighbor|patient|patiente|monsieur|madame|dame|frere|soeur|brother|sister|oncle|tante|"
    r"cousin|cousine|ami|amie|friend|eleve|student|moi|je|i|j|il|elle|he|she|agee?|aged|age)"
    r"( [a-z]+){0,2}( (de|a|is|est|qui a|a|has|of))?$"
)

# Days and weeks are an age only after a baby ("mon bébé de 10 jours", "il a 3 semaines"), never after
# a verb ("j'ai manqué 2 jours").
_SHORT_AGE_BEFORE = re.compile(
    r"(?<![a-z])(bebe|bb|baby|nourrisson|infant|newborn|nouveau ne|poupon|puce|fils|fille|son|daughter|garcon|boy|"
    r"girl|petit|petite|petit gars|enfant|child|kid|cocotte|coco)( [a-z]+)?( (de|a|is|est|of|qui a))?$"
    r"|(?<![a-z])(il|elle|he|she|it|y) (a|has|is|est|avait|had|was)( juste| seulement| only| just)?$"
)


@dataclass(frozen=True)
class Reading:
    """What one message says, in the table's terms. Holds ids only, never the member's words."""

    present: frozenset[str] = frozenset()
    set_aside: dict[str, str] = field(default_factory=dict)  # finding id -> nie, passe or hypothese
    modifiers: frozenset[str] = frozenset()
    figurative: bool = False  # an idiom was masked ("mort de rire")
    health: bool = False  # the message speaks of the body or of symptoms
    correction: bool = False  # the message takes back the one before ("non, c'était l'an passé")
    retraction: bool = False  # it opens by saying so ("je me suis mal exprimée, il a mal aux côtes")
    substantial: bool = True  # enough words, or a health word, for the classifier to read anything in it
    answers_no: bool = False  # it opens with a no ("non", "nope", "pas de fièvre"), as a reply to a question
    words: int = 0  # how many words the message has


class Reader:
    """Reads messages against one clinical table. Pure and fast: no I/O after construction."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.corrector = SpellingCorrector(table.vocabulary, table.stems, table.known_words)

    def prepare(self, message: str) -> str:
        """Normalise, correct typos toward the table's words, and mask idioms.

        The text ends with a space, so that a pattern ending in a gap or an optional word
        matches at the end of the message as anywhere else."""
        text = self.corrector.correct(normalise(message or "")) + " "
        for idiom in self.table.context.figurative:
            text = idiom.sub(_IDIOM, text)
        return text

    def read(self, message: str) -> Reading:
        text = self.prepare(message)
        context = self.table.context
        cues = _Cues(text, context)
        words = len(re.findall(r"[a-z0-9]+", text))
        present: set[str] = set()
        set_aside: dict[str, str] = {}
        found = LITERALS.found_in(text)
        for finding in self.table.findings:
            if finding.patterns.silent_in(found):
                continue  # most findings, in most messages: none of their words is there
            state = _state(finding.patterns, text, cues)
            if state == PRESENT:
                present.add(finding.id)
            elif state is not None:
                set_aside[finding.id] = state
        modifiers = {
            m.id
            for m in self.table.modifiers
            if not m.patterns.silent_in(found) and _state(m.patterns, text, cues, timeless=True) == PRESENT
        }
        modifiers |= self.age_modifiers(text)
        correction = _takes_back(text, cues, context.correction, context.takeback)
        return Reading(
            present=frozenset(present),
            set_aside=set_aside,
            modifiers=frozenset(modifiers),
            figurative=_IDIOM in text.split(),
            health=bool(context.health and context.health.search(text)),
            correction=correction,
            retraction=correction
            and _opens_with_retraction(text, context.correction, context.takeback, context.history),
            substantial=bool(present)
            or len(re.findall(r"[a-z]{2,}", text)) >= MIN_WORDS
            or bool(context.health and context.health.search(text)),
            words=words,
            answers_no=bool(_OPENS_WITH_NO.match(text)),
        )

    def age_modifiers(self, text: str) -> set[str]:
        """Age bands (nourrisson, enfant, aîné...) from the ages written in a message."""
        bands: set[str] = set()
        for months in ages_in_months(text):
            bands |= {b.modifier for b in self.table.age_bands if b.min_months <= months < b.max_months}
        return bands

    def matches(self, patterns: Patterns, message: str) -> bool:
        """Whether patterns find something present now in a raw message (for the table's examples)."""
        text = self.prepare(message)
        context = self.table.context
        cues = _Cues(text, context)
        return _state(patterns, text, cues) == PRESENT


def ages_in_months(text: str) -> list[float]:
    """Ages written in a normalised message ("mon bebe de 6 semaines", "82 ans", "2 month old")."""
    ages = []
    for m in _AGE.finditer(text):
        raw, unit = m.group("n"), m.group("unit")
        number = float(raw) if raw.isdigit() else float(_NUMBER_WORDS.get(raw, 0))
        stem = unit.rstrip("s") if unit not in ("mois", "mos") else unit
        stem = {"mos": "mo", "annee": "annee"}.get(stem, stem)
        months = number * _UNIT_MONTHS.get(stem, _UNIT_MONTHS.get(unit, 0.0))
        before = text[: m.start()].rstrip()
        after = m.group("after") or ""
        is_old = after.startswith(" old") or after.startswith(" de vie") or after.startswith(" d age")
        if _ALWAYS_DURATION.search(before) or (
            not is_old and _DURATION_BEFORE.search(before) and not _AGE_WORDS_BEFORE.search(before)
        ):
            continue  # "depuis 3 jours", "il y a 2 ans", "enceinte de 30 semaines": a time, not an age
        if after.startswith(" ago") or after.startswith(" de (mariage|diabete)"):
            continue
        short_unit = stem in ("jour", "day", "semaine", "sem", "week", "wk")
        if short_unit and not is_old and not _SHORT_AGE_BEFORE.search(before):
            continue  # "2 jours" alone is a duration; "mon bebe de 10 jours" is an age
        if number <= 0 or months > 130 * 12:
            continue
        ages.append(months)
    # English writes an age without its unit: "my mom is 83 and...", "he's 6, coughing".
    ages += [12.0 * int(m.group("n")) for m in _BARE_AGE.finditer(text)]
    return ages


_OPENS_WITH_NO = re.compile(r"(ben |mais |euh |oh |ah )?(non|no|nope|nah|pas|aucun|aucune|pantoute|not|none)\b")
_NEGATION_WORDS = re.compile(r"\b(pas|pu|plus|jamais|aucun|aucune|rien|not|never|no|t)\b")
_ANSWERED_NO = re.compile(
    r"(?:^| )\?(?= (?:(?:ben|mais|oh|ah) )?(?:non|no|nope|nah|pantoute|pas du tout|not at all)"
    r"(?! (?:idea|clue|matter|one|way|plus|sais|se|rush|hurry|worries|worry|pressure|presse|stress)\b)(?: |$))"
)


class _Cues:
    """Where the sentences end and where the cues of time and of hypotheses stand in a text."""

    def __init__(self, text: str, context: Context) -> None:
        self.text = text
        self.ends = [m.start() for m in re.finditer(r"(?:^| )([.!?;])(?= |$)", text)]
        self.clause_ends = [m.start() for m in re.finditer(r"(?:^| )(,|:|mais|but|et|and)(?= |$)", text)]
        # "ça arrête pas de saigner? non ça a arrêté": the member repeats a question and answers no to it.
        self.answered_no = {m.start() for m in _ANSWERED_NO.finditer(text)}
        self.cues: list[tuple[int, int, str]] = []
        kinds = (
            (PAST, context.history),
            (SINCE, context.since),
            (PRESENT, context.present),
            (ONGOING, context.ongoing),
            (HYPOTHETICAL, context.hypothetical),
            (GENERAL, context.general),
        )
        for kind, patterns in kinds:
            for pattern in patterns:
                self.cues += [(m.start(), m.end(), kind) for m in pattern.finditer(text)]
        self.cues.sort()

    def sentence_of(self, position: int) -> tuple[int, int]:
        start, end = 0, len(self.text)
        for boundary in self.ends:
            if boundary < position:
                start = boundary
            else:
                end = boundary
                break
        return start, end

    def answered_no_at(self, position: int) -> bool:
        """Whether the sentence at `position` is a question the member answers no to right after ("il fait de la
        fièvre? non"). Not a negative question: "il respire pas? non" confirms it, as "non" does in French."""
        start, end = self.sentence_of(position)
        return end in self.answered_no and not _NEGATION_WORDS.search(self.text[start:end])

    def time_of(self, start: int, end: int, general_questions: bool = True, ongoing_since: bool = False) -> str:
        """PRESENT, PAST, HYPOTHETICAL or GENERAL for a match at [start, end)."""
        if not self.cues:
            return PRESENT
        s_start, s_end = self.sentence_of(start)
        clause_start = max([b for b in self.clause_ends if b < start] + [s_start])
        # A hypothesis covers its own clause ("si jamais j'ai mal, ..."); a time covers the sentence.
        if ongoing_since and any(kind == ONGOING and a >= start for a, _, kind in self.cues):
            # "le mois passé j'ai acheté une corde ... j'y pense souvent", "I tried years ago. This week the
            # same thoughts are back": a crisis still now, in this sentence or a later one.
            return PRESENT
        cues = [
            (a, b, {SINCE: PAST, ONGOING: PRESENT}.get(kind, kind))
            for a, b, kind in self.cues
            if (general_questions or kind != GENERAL) and not (ongoing_since and kind == SINCE)
        ]
        before = [
            c
            for c in cues
            if c[1] <= end
            and (clause_start <= c[0] < start or (s_start <= c[0] < start and c[2] not in (HYPOTHETICAL, GENERAL)))
        ]
        clause_end = min([b for b in self.clause_ends if b >= end] + [s_end])
        after = [c for c in cues if end <= c[0] < clause_end and c[2] != GENERAL]
        if before:
            if before[-1][0] < clause_start and before[-1][2] == PAST and any(c[2] == PRESENT for c in after):
                # "had a heart attack 2 years ago, chest pressure started while shoveling": a past time in an
                # earlier clause, a present one in the finding's own clause.
                return PRESENT
            return before[-1][2]
        return after[0][2] if after else PRESENT


def _takes_back(text: str, cues: _Cues, corrections: Iterable[TablePattern], openers: Iterable[TablePattern]) -> bool:
    """Whether a message takes back the one before: a correction cue ("c'est une expression"), a past
    time at its start ("years ago, 2018"), or one anywhere after an opening like "non non, désolé"."""
    if any(p.search(text) for p in corrections):
        return True
    if _IDIOM in text.split() and any(p.match(text) for p in openers):
        return True  # "lol non non, elle veut mourir de honte": the alarm was a figure of speech
    past = [start for start, _, kind in cues.cues if kind in (PAST, SINCE)]
    if not past:
        return False
    if len(text[: past[0]].split()) <= 3:
        return True
    return any(p.match(text) for p in openers)


RETRACTION_WORDS = 5  # a correction cue this close to the start speaks of the message before


def _opens_with_retraction(
    text: str, corrections: Iterable[TablePattern], openers: Iterable[TablePattern], history: Iterable[TablePattern]
) -> bool:
    """Whether a message opens with an explicit correction ("non excusez, je me suis mal exprimée, ...",
    "je veux dire ...", "en fait non excusez, ça c'était il y a 3 ans"): it then takes back the message
    before even when it describes something else."""
    head = text
    while opener := next((m for p in openers if (m := p.match(head.lstrip())) and m.end()), None):
        head = head.lstrip()[opener.end() :]  # "lol non", "euh non désolée": every opening word
    opening = len(text) - len(head.lstrip())
    limit = opening + len(" ".join(head.split()[:RETRACTION_WORDS]))
    # A past time counts only after an opening that takes back ("non excusez"), not alone at the start
    # ("il y a 4 mois j'ai accouché, depuis j'ai des fuites" adds to the story).
    cues = [*corrections, *(history if head != text else ())]
    return any(m.start() <= limit for p in cues for m in p.finditer(text))


def _match_state(pattern: TablePattern, text: str, cues: _Cues, patterns: Patterns, timeless: bool) -> str | None:
    best: str | None = None
    for match in pattern.finditer(text):
        if any(_overlaps(match.span(), e.span()) for ex in patterns.exclusions for e in ex.finditer(text)):
            continue
        if patterns.negatable and (is_negated(text, match.start()) or cues.answered_no_at(match.start())):
            state = DENIED
        else:
            state = (
                PRESENT if timeless else cues.time_of(*match.span(), patterns.general_questions, patterns.ongoing_since)
            )
            if state == GENERAL:
                state = HYPOTHETICAL
        if state == PRESENT:
            return PRESENT
        best = best or state
    return best


def _state(patterns: Patterns, text: str, cues: _Cues, timeless: bool = False) -> str | None:
    """PRESENT if one alternative is found now; else why it was set aside; None when not found."""
    if any(p.search(text) for p in patterns.unless):
        return None
    reassured = any(
        not is_negated(text, m.start()) for p in patterns.contrary for m in p.finditer(text)
    )  # "il respire bien": a later message takes back "il respire pas"
    set_aside: str | None = DENIED if reassured else None
    for alternative in patterns.alternatives:
        # An alternative counts only when every one of its patterns is found: stop at the first that is not
        # (most are not, in most messages; this is most of the time triage takes).
        states: list[str] = []
        for pattern in alternative:
            state = _match_state(pattern, text, cues, patterns, timeless)
            if state is None:
                break
            states.append(state)
        else:
            if all(s == PRESENT for s in states) and not reassured:
                return PRESENT
            set_aside = set_aside or next(s for s in states if s != PRESENT)
    return set_aside


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]
