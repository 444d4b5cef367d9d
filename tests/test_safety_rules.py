"""Every safety rule's own examples, and the rule file's guarantees."""

from pathlib import Path

import pytest

from bot.triage import Disposition
from bot.triage.rules import RuleFileError, SpellingCorrector, compile_pattern, is_negated, load_rule_book

ROOT = Path(__file__).resolve().parent.parent
RULE_BOOK = load_rule_book(ROOT / "safety" / "rules.yml")
MATCH_CASES = [(r.id, ex) for r in RULE_BOOK.rules for ex in r.examples_match]
NO_MATCH_CASES = [(r.id, ex) for r in RULE_BOOK.rules for ex in r.examples_no_match]
RULES = {r.id: r for r in RULE_BOOK.rules}


@pytest.mark.parametrize(("rule_id", "example"), MATCH_CASES)
def test_rule_fires_on_its_examples(rule_id: str, example: str) -> None:
    assert RULES[rule_id].fires_on(RULE_BOOK.prepare(example)), RULE_BOOK.prepare(example)


@pytest.mark.parametrize(("rule_id", "example"), NO_MATCH_CASES)
def test_rule_ignores_its_counter_examples(rule_id: str, example: str) -> None:
    assert not RULES[rule_id].fires_on(RULE_BOOK.prepare(example)), RULE_BOOK.prepare(example)


def test_every_rule_has_examples_both_ways() -> None:
    for rule in RULE_BOOK.rules:
        assert rule.examples_match, rule.id
        assert rule.examples_no_match, rule.id
        assert rule.explanation, rule.id


def test_rules_cover_the_urgent_dispositions() -> None:
    found = {r.disposition for r in RULE_BOOK.rules}
    assert {Disposition.NEUF_UN_UN, Disposition.CRISE, Disposition.URGENCE} <= found


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("j ai pas de douleur a la poitrine", True),
        ("aucune douleur a la poitrine", True),
        ("sans douleur a la poitrine", True),
        ("j ai pas dormi , douleur a la poitrine", False),
        ("j ai pas mal de douleur a la poitrine", False),
        ("pas juste douleur a la poitrine", False),
        ("je tousse mais douleur a la poitrine", False),
    ],
)
def test_negation_scope(text: str, negated: bool) -> None:
    assert is_negated(text, text.index("douleur")) is negated


def test_spelling_corrector_fixes_only_non_words() -> None:
    corrector = SpellingCorrector(["poitrine", "respire"], ["suicid"], ["contre", "centre"])
    assert corrector.correct_word("poitrinne") == "poitrine"
    assert corrector.correct_word("poitirne") == "poitrine"
    assert corrector.correct_word("sucidaire") == "suicidaire"
    assert corrector.correct_word("contre") == "contre"
    assert corrector.correct_word("rire") == "rire"  # too short to guess


def test_pattern_syntax() -> None:
    pattern = compile_pattern("{douleur} ~2 poitrine", {"douleur": "(?:mal|douleur)"})
    assert pattern.search("mal a la poitrine")
    assert not pattern.search("mal au dos mais poitrine")
    assert not pattern.search("normal a la poitrine")  # whole words only


def test_unknown_lexicon_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(
        "lexicons: {}\nrules:\n  - id: x\n    disposition: '911'\n    explanation: x\n    match: ['{inconnu}']\n"
    )
    with pytest.raises(RuleFileError, match="inconnu"):
        load_rule_book(tmp_path / "rules.yml")


def test_bad_disposition_is_refused(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(
        "rules:\n  - id: x\n    disposition: bientot\n    explanation: x\n    match: ['mal']\n"
    )
    with pytest.raises(RuleFileError, match="bientot"):
        load_rule_book(tmp_path / "rules.yml")
