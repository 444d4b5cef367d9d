"""Triage decisions with the classifier (trained on safety/corpus, cached under models/): idioms, the
classifier that may only raise, the conversation's request as one episode, the sample of TRIAGE.md and
the labelled conversations. What the clinical table alone decides: tests/unit/test_triage_reading.py."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bot.triage import Triage, Turn
from bot.triage.dispositions import Disposition
from bot.triage.metrics import score
from bot.triage.reader import Reading

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "samples" / "triage_sample.csv"


def test_idioms_are_not_emergencies(triage: Triage) -> None:
    for message in (
        "je suis mort de rire",
        "ce prix-là m'a donné une crise cardiaque",
        "mon cell va mourir",
        "la facture d'électricité que j'ai reçue ce matin m'a donné une crise cardiaque",
        "best thing for a sunburn after a day working on the roof?",
        "mon gars a mal au cœur en auto quand on monte au chalet",
    ):
        assert triage.decide(message).disposition.level < Disposition.URGENCE.level, message


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
        ("ma sœur veut mourir", "haha non, elle veut mourir de honte, elle a envoyé un texto à son boss par erreur"),
        (
            "je me sens mourir",
            "lol non pas de même, je veux dire que j'ai un rhume: le nez qui coule pis je tousse un peu",
        ),
        (
            "douleur à la poitrine",
            "ben en fait c'est pas vraiment à la poitrine, c'est des brûlements d'estomac après le souper",
        ),
        ("URGENT mon bébé a avalé une pile", "scusez, mon bébé c'est mon chien, un beagle. avez-vous un vétérinaire?"),
    ],
)
def test_other_ways_of_taking_an_alarm_back(triage: Triage, messages: tuple[str, ...]) -> None:
    assert conversation(triage, *messages).level < Disposition.URGENCE.level


def test_a_correction_that_describes_something_else_takes_back_the_alarm(triage: Triage) -> None:
    # It says so at once ("je me suis mal exprimée"): the chest pain is gone, the knee after a fall stays.
    after = conversation(
        triage, "mon chum a mal dans la poitrine", "je me suis mal exprimée, il a mal au genou depuis sa chute en ski"
    )
    assert after.level < Disposition.NEUF_UN_UN.level


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


def test_the_story_is_not_read_once_the_table_calls_for_911(triage: Triage, monkeypatch: pytest.MonkeyPatch) -> None:
    # The story may only raise, and nothing is above 911: the longest reading of a turn is skipped
    # (make bench: what keeps message 300 of a conversation as fast as message 1).
    first = triage.decide("j'ai mal à la poitrine pis au bras gauche, je sue")
    assert first.disposition == Disposition.NEUF_UN_UN
    read: list[str] = []
    original = triage.read

    def reading(text: str) -> Reading:
        read.append(text)
        return original(text)

    monkeypatch.setattr(triage, "read", reading)
    later = triage.decide("c'est quoi vos heures d'ouverture?", [first.turn], ["j'ai mal à la poitrine"])
    assert later.disposition == Disposition.NEUF_UN_UN
    assert read == ["c'est quoi vos heures d'ouverture?"]


def test_a_reassuring_answer_keeps_a_story_without_a_sign_below_911(triage: Triage) -> None:
    story = ("mon bébé a avalé quelque chose", "une pile bouton je pense", "il a 18 mois, il a l'air correct, il joue")
    assert conversation(triage, *story) == Disposition.URGENCE


def test_a_bare_request_for_a_person_is_not_a_crisis(triage: Triage) -> None:
    for message in ("je veux parler à une personne", "I want to talk to a person"):
        assert triage.decide(message).disposition == Disposition.CLINICIEN, message
    assert triage.decide("je veux parler à une personne, j'en peux plus de vivre").disposition == Disposition.CRISE


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
    path = ROOT / "tests" / "data" / "conversations_dev.jsonl"
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    expected = [Disposition.parse(case["expected"]) for case in cases]
    predicted = [conversation(triage, *case["turns"]) for case in cases]
    assert not score(expected, predicted).failures()
