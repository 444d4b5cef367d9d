"""The clinical table (safety/): every finding, modifier and adjustment runs its own examples, and a
malformed table is refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.triage import Triage
from bot.triage.dispositions import Disposition
from bot.triage.patterns import LITERALS, SpellingCorrector, TableError, TablePattern, compile_pattern, is_negated
from bot.triage.table import Finding, Modifier, Patterns, load_table

ROOT = Path(__file__).resolve().parents[2]
TABLE = load_table(ROOT / "safety")
FINDING_MATCHES = [(f.id, ex) for f in TABLE.findings for ex in f.examples_match]
FINDING_NO_MATCHES = [(f.id, ex) for f in TABLE.findings for ex in f.examples_no_match]
MODIFIER_MATCHES = [(m.id, ex) for m in TABLE.modifiers for ex in m.examples_match]
MODIFIER_NO_MATCHES = [(m.id, ex) for m in TABLE.modifiers for ex in m.examples_no_match]
ADJUSTMENTS = [(f.id, a.level.value, ex) for f in TABLE.findings for a in (*f.raised, *f.lowered) for ex in a.examples]


@pytest.mark.parametrize(("finding", "example"), FINDING_MATCHES)
def test_finding_reads_its_examples(triage_rules: Triage, finding: str, example: str) -> None:
    reading = triage_rules.read(example)
    assert finding in reading.present, (triage_rules.reader.prepare(example), reading.set_aside.get(finding))


@pytest.mark.parametrize(("finding", "example"), FINDING_NO_MATCHES)
def test_finding_ignores_its_counter_examples(triage_rules: Triage, finding: str, example: str) -> None:
    assert finding not in triage_rules.read(example).present, triage_rules.reader.prepare(example)


@pytest.mark.parametrize(("modifier", "example"), MODIFIER_MATCHES)
def test_modifier_reads_its_examples(triage_rules: Triage, modifier: str, example: str) -> None:
    assert modifier in triage_rules.read(example).modifiers


@pytest.mark.parametrize(("modifier", "example"), MODIFIER_NO_MATCHES)
def test_modifier_ignores_its_counter_examples(triage_rules: Triage, modifier: str, example: str) -> None:
    assert modifier not in triage_rules.read(example).modifiers


@pytest.mark.parametrize(("finding", "level", "example"), ADJUSTMENTS)
def test_first_order_modifiers_change_the_level_as_written(
    triage_rules: Triage, finding: str, level: str, example: str
) -> None:
    assert triage_rules.decide(example).disposition.value == level, sorted(triage_rules.read(example).present)


def test_every_finding_has_examples_both_ways_and_labels_in_both_languages() -> None:
    for finding in TABLE.findings:
        assert finding.examples_match and finding.examples_no_match, finding.id
        assert finding.label["fr"] and finding.label["en"], finding.id
    for modifier in TABLE.modifiers:
        assert modifier.examples_match and modifier.examples_no_match, modifier.id


def test_the_table_covers_every_urgent_level() -> None:
    levels = {f.level for f in TABLE.findings}
    assert {Disposition.NEUF_UN_UN, Disposition.CRISE, Disposition.URGENCE} <= levels


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("j ai pas de douleur a la poitrine", True),
        ("aucune douleur a la poitrine", True),
        ("sans douleur a la poitrine", True),
        ("no chest pain", True),
        ("rien d intense", True),
        ("j ai pas dormi , douleur a la poitrine", False),
        ("j ai pas mal de douleur a la poitrine", False),
        ("pas juste douleur a la poitrine", False),
        ("je tousse mais douleur a la poitrine", False),
        ("i don t have chest pain", True),
        ("she didn t get chest pain", True),
        ("he can t stand the chest pain", False),
        ("a t il une douleur a la poitrine", False),
        ("ca marche pas je suis plus capable , douleur a la poitrine", False),
        ("ca marche pas il a une douleur a la poitrine", False),
        ("il a pas de douleur a la poitrine", True),
    ],
)
def test_negation_scope(text: str, negated: bool) -> None:
    word = next(w for w in ("douleur", "chest", "intense") if w in text)
    assert is_negated(text, text.index(word)) is negated


def test_spelling_corrector_fixes_only_non_words() -> None:
    corrector = SpellingCorrector(["poitrine", "respire"], ["suicid"], ["contre", "centre"])
    assert corrector.correct_word("poitrinne") == "poitrine"
    assert corrector.correct_word("poitirne") == "poitrine"
    assert corrector.correct_word("sucidaire") == "suicidaire"
    assert corrector.correct_word("contre") == "contre"
    assert corrector.correct_word("rire") == "rire"  # too short to guess


def test_pattern_syntax() -> None:
    pattern = compile_pattern("{douleur} ~2 poitrine", {"douleur": "(?:mal|douleur)"})
    assert pattern.search("mal a la poitrine ")
    assert not pattern.search("mal au dos mais poitrine ")
    assert not pattern.search("normal a la poitrine ")  # whole words only
    either = compile_pattern("rcr|cpr", {})
    assert not either.search("prcra ")  # an alternation is anchored as a whole


def test_a_pattern_knows_the_words_every_match_holds() -> None:
    assert compile_pattern("{douleur} ~2 poitrine", {"douleur": "(?:mal|douleur)"}).literals == frozenset({"poitrine"})
    assert compile_pattern("respire (pas|plus)", {}).literals == frozenset({"respire "})
    assert compile_pattern("rcr|cpr", {}).literals == frozenset({"rcr", "cpr"})
    assert compile_pattern("(tres )?(mal|souffre)", {}).literals == frozenset({"mal", "souffre"})
    assert compile_pattern("[0-9]+ ans", {}).literals == frozenset({" ans"})
    assert compile_pattern("(tres )?[0-9]+", {}).literals is None  # nothing is certain: always run


def _patterns_of(patterns: Patterns) -> list[TablePattern]:
    return [p for alternative in patterns.alternatives for p in alternative] + [
        *patterns.exclusions,
        *patterns.unless,
        *patterns.contrary,
    ]


def test_skipping_patterns_by_their_words_never_hides_a_match(triage_rules: Triage) -> None:
    """The reader skips a pattern none of whose literals is in the text: on every example of the table,
    each pattern of the entry and of the context finds what its plain regex finds."""
    context = TABLE.context
    cues = [*context.history, *context.present, *context.hypothetical, *context.general, *context.figurative]
    entries: list[Finding | Modifier] = [*TABLE.findings, *TABLE.modifiers]
    checked = 0
    for entry in entries:
        for example in (*entry.examples_match, *entry.examples_no_match):
            text = triage_rules.reader.prepare(example)
            for pattern in [*_patterns_of(entry.patterns), *cues]:
                assert bool(pattern.search(text)) == bool(pattern.regex.search(text)), (pattern.pattern, text)
                checked += 1
            if any(p.regex.search(text) for alternative in entry.patterns.alternatives for p in alternative[:1]):
                assert not entry.patterns.silent_in(LITERALS.found_in(text)), (entry.id, text)
    assert checked > 10_000


def write_table(folder: Path, finding: str, modifiers: str = "modifiers: []\n") -> None:
    (folder / "findings").mkdir(parents=True, exist_ok=True)
    (folder / "lexicons.yml").write_text("lexicons: {}\n")
    (folder / "context.yml").write_text("history: []\n")
    (folder / "modifiers.yml").write_text(modifiers)
    (folder / "findings" / "x.yml").write_text(finding)


def test_an_unknown_lexicon_is_refused(tmp_path: Path) -> None:
    write_table(tmp_path, "findings:\n  - id: x\n    label: x\n    level: '911'\n    match: ['{inconnu}']\n")
    with pytest.raises(TableError, match="inconnu"):
        load_table(tmp_path)


def test_an_unknown_level_is_refused(tmp_path: Path) -> None:
    write_table(tmp_path, "findings:\n  - id: x\n    label: x\n    level: bientot\n    match: ['mal']\n")
    with pytest.raises(TableError, match="bientot"):
        load_table(tmp_path)


def test_an_adjustment_naming_nothing_known_is_refused(tmp_path: Path) -> None:
    finding = "findings:\n  - id: x\n    label: x\n    level: info\n    raised: [{if: [personne], level: '911'}]\n"
    write_table(tmp_path, finding + "    match: ['mal']\n")
    with pytest.raises(TableError, match="personne"):
        load_table(tmp_path)
