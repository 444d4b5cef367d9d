"""Triage decisions by the clinical table alone (no classifier): findings in context (denied, past,
hypothetical), ages, modifiers, the conversation's request as one episode."""

from __future__ import annotations

import pytest

from bot.triage import Triage, Turn
from bot.triage.dispositions import Disposition
from bot.triage.reader import DENIED, HYPOTHETICAL, PAST, ages_in_months


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


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("mon bebe de 6 semaines", 1.4),
        ("ma fille de 4 ans", 48.0),
        ("my 2 month old", 2.0),
        ("mon pere a 82 ans", 984.0),
        ("il a juste 3 semaines", 0.7),
        ("li gen 2 moi", 2.0),  # Haitian Creole "2 mwa", read "moi" after the SMS spellings
        ("my mom is 83 and just not herself", 996.0),  # English writes an age without its unit
        ("he s 6 , coughing", 72.0),
    ],
)
def test_ages_are_read(text: str, months: float) -> None:
    assert [round(a, 1) for a in ages_in_months(text)] == [months]


@pytest.mark.parametrize(
    "text",
    [
        "j'ai de la fièvre depuis 3 jours",
        "il y a 2 ans",
        "enceinte de 30 semaines",
        "j ai manque 2 jours d ouvrage",
        "j ai commence un antibiotique hier",  # "un an" + "tibiotique" is not an age
        "his sugar is 3 and dropping",
    ],
)
def test_durations_are_not_ages(text: str) -> None:
    assert ages_in_months(text.replace("è", "e")) == []


def test_a_modifier_raises_a_finding(triage_rules: Triage) -> None:
    assert triage_rules.decide("ma fille de 4 ans fait de la fièvre").disposition == Disposition.CLINICIEN
    assert triage_rules.decide("mon bébé de 6 semaines fait de la fièvre").disposition == Disposition.URGENCE


def test_modifiers_add_up_across_messages(triage_rules: Triage) -> None:
    turns: list[Turn] = []
    for message in ("ma mère a 84 ans", "elle prend de l'eliquis", "elle s'est cognée la tête sur le comptoir"):
        decision = triage_rules.decide(message, turns)
        turns.append(decision.turn)
    assert decision.disposition == Disposition.URGENCE


def test_an_alarm_denied_later_does_not_stick(triage_rules: Triage) -> None:
    first = triage_rules.decide("je pense qu'il respire pas")
    second = triage_rules.decide("non non, il respire bien, il dort", [first.turn])
    assert first.disposition == Disposition.NEUF_UN_UN
    assert "ne_respire_pas" not in second.findings


@pytest.mark.parametrize(
    ("alarm", "clarification"),
    [
        ("j'ai de la misère à respirer", "j'ai la MPOC, c'est comme d'habitude le matin, rien de nouveau"),
        ("I can't breathe", "sorry that came out wrong, I can't breathe through my nose, it's a cold"),
        ("ça me fait mal dans la poitrine", "non pas vraiment mal, ça pique quand je tousse fort"),
    ],
)
def test_an_alarm_taken_back_in_other_words_does_not_stick(
    triage_rules: Triage, alarm: str, clarification: str
) -> None:
    first = triage_rules.decide(alarm)
    second = triage_rules.decide(clarification, [first.turn])
    assert first.disposition == Disposition.NEUF_UN_UN
    assert second.disposition not in (Disposition.NEUF_UN_UN, Disposition.URGENCE)


def test_a_reassurance_about_what_happened_does_not_take_it_back(triage_rules: Triage) -> None:
    # The faint happened; "non c'est correct, il est revenu tout de suite" says it is over, not that it was not.
    first = triage_rules.decide("mon mari vient de faire une faiblesse")
    second = triage_rules.decide("non c'est correct il est revenu tout de suite, il s'était levé vite", [first.turn])
    assert "syncope" in second.findings


def test_a_turn_is_stored_and_read_back_whole() -> None:
    # The conversation keeps each turn in a slot; what triage reads back must be what it wrote.
    turn = Turn(
        present=("chute",),
        denied=("syncope",),
        modifiers=("aine",),
        classifier="urgence",
        sure=True,
        correction=True,
        ordinary=True,
        denial=True,
    )
    assert Turn.from_record(turn.to_record()) == turn
    assert Turn.from_record({"constats": ["chute"]}) == Turn(present=("chute",))  # a record from before `ordinary`


def test_a_present_time_in_the_findings_own_clause_wins_over_a_past_one_before(triage_rules: Triage) -> None:
    now = "had a heart attack 2 years ago, chest pressure started while shoveling and now it's going down my arm"
    then = "il y a 5 ans, j'ai fait une crise cardiaque et maintenant je vais bien"
    assert triage_rules.decide(now).disposition == Disposition.NEUF_UN_UN
    assert triage_rules.decide(then).disposition != Disposition.NEUF_UN_UN


def test_a_question_repeated_and_answered_no_is_denied(triage_rules: Triage) -> None:
    assert "fievre" in triage_rules.read("il a de la fievre? non. il tousse").set_aside
    assert (
        "hemorragie" not in triage_rules.read("Ça arrête pas de saigner? Non ça a arrêté. Il bouge ses doigts").present
    )
    # "il respire pas? non": in French, "non" to a negative question confirms it.
    assert "ne_respire_pas" in triage_rules.read("il respire pu? non").present
    assert "fievre" in triage_rules.read("is that something to see the doctor about? no rush. he has a fever").present


def test_crying_all_the_time_is_a_crisis_when_the_person_cannot_go_on(triage_rules: Triage) -> None:
    assert "desespoir" not in triage_rules.read("mon bébé a 3 semaines, je pleure tout le temps").present
    assert "pleurs_inconsolables" not in triage_rules.read("mon bébé a 3 semaines, je pleure tout le temps").present
    assert "desespoir" in triage_rules.read("je pleure tout le temps, je suis plus capable").present
    assert "desespoir" in triage_rules.read("je pleure tout le temps pis je me demande a quoi ca sert").present


def test_a_joke_told_with_an_emoji_is_not_an_emergency(triage_rules: Triage) -> None:
    message = "mon chum dit que son coeur a arrêté quand il a vu la facture d'épicerie 😂 c'est combien la cotisation?"
    assert triage_rules.decide(message).disposition == Disposition.INFO


def test_a_reply_that_only_denies_the_signs_asked_about_leaves_the_story(triage: Triage) -> None:
    first = triage.decide("j'ai commencé un antibiotique hier pis là j'ai des plaques rouges qui piquent sur le ventre")
    second = triage.decide(
        "non je respire ben pis j'ai pas les lèvres ni la langue enflées",
        [first.turn],
        ["j'ai commencé un antibiotique hier pis là j'ai des plaques rouges qui piquent sur le ventre"],
    )
    assert second.turn.denial
    assert second.disposition not in (Disposition.NEUF_UN_UN, Disposition.URGENCE)
