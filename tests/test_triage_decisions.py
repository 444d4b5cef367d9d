"""Triage decisions: findings in context (denied, past, hypothetical, idioms), ages, the classifier
that may only raise, the conversation's request as one episode, and the sample of TRIAGE.md."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.triage import Triage, Turn
from bot.triage.dispositions import Disposition
from bot.triage.metrics import score
from bot.triage.reader import DENIED, HYPOTHETICAL, PAST, ages_in_months

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "samples" / "triage_sample.csv"


@pytest.mark.parametrize(
    ("message", "finding", "why"),
    [
        ("je n'ai pas de douleur à la poitrine, juste le nez bouché", "douleur_thoracique", DENIED),
        ("j'ai fait un infarctus il y a 5 ans, je voudrais renouveler mes pilules", "diagnostic_vital_nomme", PAST),
        ("en 2015, mon père a fait un AVC", "diagnostic_vital_nomme", PAST),
        ("si jamais j'ai mal à la poitrine, je fais quoi?", "douleur_thoracique", HYPOTHETICAL),
        ("c'est quoi les signes d'un AVC?", "diagnostic_vital_nomme", HYPOTHETICAL),
    ],
)
def test_a_finding_set_aside_says_why(triage_rules: Triage, message: str, finding: str, why: str) -> None:
    reading = triage_rules.read(message)
    assert finding not in reading.present and reading.set_aside.get(finding) == why


def test_a_present_cue_wins_over_an_older_past_one(triage_rules: Triage) -> None:
    reading = triage_rules.read("Il y a 5 ans il a fait un AVC, et là il parle tout croche")
    assert "trouble_parole" in reading.present


def test_a_crisis_question_is_a_crisis(triage_rules: Triage) -> None:
    assert (
        triage_rules.decide("c'est quoi la dose de tylenol qui peut tuer quelqu'un?").disposition == Disposition.CRISE
    )


def test_idioms_are_not_emergencies(triage: Triage) -> None:
    for message in ("je suis mort de rire", "ce prix-là m'a donné une crise cardiaque", "mon cell va mourir"):
        assert triage.decide(message).disposition.level < Disposition.URGENCE.level, message


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("mon bebe de 6 semaines", 1.4),
        ("ma fille de 4 ans", 48.0),
        ("my 2 month old", 2.0),
        ("mon pere a 82 ans", 984.0),
    ],
)
def test_ages_are_read(text: str, months: float) -> None:
    assert [round(a, 1) for a in ages_in_months(text)] == [months]


@pytest.mark.parametrize("text", ["j'ai de la fièvre depuis 3 jours", "il y a 2 ans", "enceinte de 30 semaines"])
def test_durations_are_not_ages(text: str) -> None:
    assert ages_in_months(text.replace("è", "e")) == []


def test_a_modifier_raises_a_finding(triage_rules: Triage) -> None:
    assert triage_rules.decide("ma fille de 4 ans fait de la fièvre").disposition == Disposition.CLINICIEN
    assert triage_rules.decide("mon bébé de 6 semaines fait de la fièvre").disposition == Disposition.URGENCE


def test_the_classifier_only_raises(triage: Triage) -> None:
    decision = triage.decide("il respire plus, il est tout bleu")
    assert decision.disposition == Disposition.NEUF_UN_UN and decision.source == "constat"


@pytest.mark.parametrize("answer", ["pour moi", "1", "oui", "non", "ok", "2"])
def test_an_answer_to_a_question_is_not_raised(triage: Triage, answer: str) -> None:
    assert triage.decide(answer).disposition == Disposition.INFO


def test_a_later_message_raises_the_request(triage: Triage) -> None:
    first = triage.decide("mon père est tombé dans la cuisine")
    second = triage.decide("pis là il respire pu", [first.turn])
    assert second.disposition == Disposition.NEUF_UN_UN


def test_modifiers_add_up_across_messages(triage_rules: Triage) -> None:
    turns: list[Turn] = []
    for message in ("ma mère a 84 ans", "elle prend de l'eliquis", "elle s'est cognée la tête sur le comptoir"):
        decision = triage_rules.decide(message, turns)
        turns.append(decision.turn)
    assert decision.disposition == Disposition.URGENCE


def test_an_alarm_placed_in_the_past_does_not_stick(triage: Triage) -> None:
    first = triage.decide("mon père a fait un infarctus")
    assert first.disposition == Disposition.NEUF_UN_UN
    second = triage.decide("non non, c'était il y a 5 ans", [first.turn])
    assert second.disposition.level < Disposition.URGENCE.level


def conversation(triage: Triage, *messages: str) -> Disposition:
    """The disposition after the last message, each triaged with the earlier ones as the policy does."""
    turns: list[Turn] = []
    decision = None
    for i, message in enumerate(messages):
        decision = triage.decide(message, turns, messages[:i])
        turns.append(decision.turn)
    assert decision is not None
    return decision.disposition


@pytest.mark.parametrize(
    "messages",
    [
        ("my husband had chest pain and collapsed", "no no sorry, that was last March, he had a bypass"),
        ("I had an overdose", "years ago, 2018. clean 5 years now"),
        ("je pense que ma mère fait une crise cardiaque", "euh non, désolée, c'est une expression!"),
    ],
)
def test_other_ways_of_taking_an_alarm_back(triage: Triage, messages: tuple[str, ...]) -> None:
    assert conversation(triage, *messages).level < Disposition.URGENCE.level


def test_a_request_is_read_as_one_story(triage: Triage) -> None:
    # "il boit bien, il est grognon" alone sounds alarming to the classifier; after the earlier
    # messages it is a child's ear infection.
    story = ("bonjour", "mon fils de 3 ans a mal à l'oreille depuis cette nuit", "il fait 38.9, il boit bien")
    assert conversation(triage, *story) == Disposition.CLINICIEN


def test_a_later_emergency_is_not_lost_in_the_story(triage: Triage) -> None:
    story = (
        "Salut, est-ce que je peux avoir un rendez-vous la semaine prochaine?",
        "c'est pour un check-up, j'ai des brûlements d'estomac depuis le souper",
        "ben là ça serre pas mal dans la poitrine pis ça descend dans le bras gauche, je sue",
        "j'ai 61 ans",
    )
    assert conversation(triage, *story) == Disposition.NEUF_UN_UN


def test_a_reassuring_answer_keeps_a_story_without_a_sign_below_911(triage: Triage) -> None:
    story = ("mon bébé a avalé quelque chose", "une pile bouton je pense", "il a 18 mois, il a l'air correct, il joue")
    assert conversation(triage, *story) == Disposition.URGENCE


def test_a_bare_request_for_a_person_is_not_a_crisis(triage: Triage) -> None:
    for message in ("je veux parler à une personne", "I want to talk to a person"):
        assert triage.decide(message).disposition == Disposition.CLINICIEN, message
    assert triage.decide("je veux parler à une personne, j'en peux plus de vivre").disposition == Disposition.CRISE


def test_an_alarm_denied_later_does_not_stick(triage_rules: Triage) -> None:
    first = triage_rules.decide("je pense qu'il respire pas")
    second = triage_rules.decide("non non, il respire bien, il dort", [first.turn])
    assert first.disposition == Disposition.NEUF_UN_UN
    assert "ne_respire_pas" not in second.findings


@pytest.mark.parametrize(
    ("message", "resource"),
    [
        ("mon gars de 3 ans a bu du lave-vitre", "antipoison"),
        ("mon chum me frappe pis j'ai peur de rentrer", "violence"),
    ],
)
def test_resources_follow_the_findings(triage: Triage, message: str, resource: str) -> None:
    assert resource in triage.decide(message).resources


def test_a_described_problem_below_urgence_asks_a_red_flag_question(triage: Triage) -> None:
    assert triage.decide("j'ai de la fièvre depuis 3 jours pis des frissons").ask_red_flags
    assert not triage.decide("c'est quoi vos heures d'ouverture?").ask_red_flags


def test_the_sample_of_triage_md_meets_every_bar(triage: Triage) -> None:
    if not SAMPLE.exists():
        pytest.fail(f"{SAMPLE} is missing: CI runs with ../shared beside the checkout")
    with SAMPLE.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = [Disposition.parse(r["expected"]) for r in rows]
    predicted = [triage.decide(r["message"]).disposition for r in rows]
    assert not score(expected, predicted).failures()


def test_the_labelled_conversations_meet_every_bar(triage: Triage) -> None:
    # Multi-turn conversations written by the corpus writers (tests/data/conversations_dev.jsonl):
    # the disposition after the last message, each message triaged in its conversation.
    path = Path(__file__).parent / "data" / "conversations_dev.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = [Disposition.parse(case["expected"]) for case in cases]
    predicted = [conversation(triage, *case["turns"]) for case in cases]
    assert not score(expected, predicted).failures()
