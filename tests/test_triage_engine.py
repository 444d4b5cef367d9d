"""How rules and the classifier combine: the classifier may raise urgency, never lower it."""

import pytest

from bot.triage import ClassifierSignal, Disposition, Triage


def signal(*ranking: tuple[str, float]) -> ClassifierSignal:
    return ClassifierSignal(tuple(ranking))


def test_rule_beats_a_confident_harmless_intent(triage: Triage) -> None:
    decision = triage.decide("jai mal dans la poitrine ca serre", signal(("rhume", 0.99)))
    assert decision.disposition is Disposition.NEUF_UN_UN
    assert decision.source == "regle"
    assert "911-douleur-thoracique" in [r.id for r in decision.rules]


def test_classifier_raises_when_no_rule_fires(triage: Triage) -> None:
    decision = triage.decide("quelque chose de bizarre", signal(("rhume", 0.5), ("symptome_911", 0.4)))
    assert decision.disposition is Disposition.NEUF_UN_UN
    assert decision.source == "classifieur"
    assert decision.raised_by == ("symptome_911",)


def test_classifier_cannot_lower_a_rule(triage: Triage) -> None:
    decision = triage.decide("je veux me tuer", signal(("saluer", 0.99)))
    assert decision.disposition is Disposition.CRISE


def test_crisis_rule_is_not_turned_into_911_by_the_classifier(triage: Triage) -> None:
    decision = triage.decide("je pense au suicide", signal(("symptome_911", 0.9)))
    assert decision.disposition is Disposition.CRISE


def test_low_confidence_top_intent_is_ignored(triage: Triage) -> None:
    decision = triage.decide("blabla", signal(("symptome_consultation", 0.2)))
    assert decision.disposition is Disposition.INFO
    assert decision.source == "defaut"


def test_info_intent(triage: Triage) -> None:
    decision = triage.decide("c'est quoi vos heures", signal(("heures_ouverture", 0.95)))
    assert decision.disposition is Disposition.INFO
    assert decision.source == "classifieur"


def test_fallback_pseudo_intent_is_dropped_from_the_ranking() -> None:
    parsed = {
        "intent": {"name": "nlu_fallback", "confidence": 0.45},
        "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.45},
            {"name": "crise_suicidaire", "confidence": 0.3},
            {"name": "saluer", "confidence": 0.2},
        ],
    }
    assert ClassifierSignal.from_parse_data(parsed).ranking == (("crise_suicidaire", 0.3), ("saluer", 0.2))


def test_parse_data_without_ranking_uses_the_intent() -> None:
    parsed = {"intent": {"name": "saluer", "confidence": 1.0}}
    assert ClassifierSignal.from_parse_data(parsed).top == ("saluer", 1.0)
    assert ClassifierSignal.from_parse_data({}).top == (None, 0.0)


def test_record_has_no_message_text(triage: Triage) -> None:
    decision = triage.decide("mon père a la bouche croche", signal(("symptome_911", 0.9)))
    record = decision.as_record()
    assert record["disposition"] == "911"
    assert "croche" not in str(record)


@pytest.mark.parametrize(
    ("message", "ranking", "expected_words"),
    [
        ("jai mal a la poitrine", (("rhume", 0.9),), "poitrine"),
        ("allo", (("saluer", 0.9),), "salutation"),
        ("hmm", (("rhume", 0.4), ("symptome_911", 0.35)), "prudence"),
    ],
)
def test_explanation_in_french(
    triage: Triage, message: str, ranking: tuple[tuple[str, float], ...], expected_words: str
) -> None:
    record = triage.decide(message, signal(*ranking)).as_record()
    assert expected_words in triage.explain(record).lower()


def test_explanation_of_an_empty_record(triage: Triage) -> None:
    assert "signe d'urgence" in triage.explain({"source": "defaut"})


def test_an_idiom_keeps_the_classifier_from_raising_a_crisis(triage: Triage) -> None:
    decision = triage.decide("chu mort de rire", signal(("crise_suicidaire", 0.85)))
    assert decision.disposition is Disposition.INFO


def test_a_negated_alarm_keeps_the_classifier_from_raising_it(triage: Triage) -> None:
    decision = triage.decide("jai pas de douleur a la poitrine, juste le nez bouche", signal(("symptome_911", 0.6)))
    assert decision.disposition is not Disposition.NEUF_UN_UN


def test_an_idiom_does_not_hide_a_real_crisis(triage: Triage) -> None:
    decision = triage.decide("je suis mort de fatigue pis je veux mourir", signal(("saluer", 0.9)))
    assert decision.disposition is Disposition.CRISE


def test_an_unclear_health_message_goes_to_a_professional(triage: Triage) -> None:
    decision = triage.decide("j'ai une verrue sous le pied", signal(("services_offerts", 0.18), ("rhume", 0.14)))
    assert decision.disposition is Disposition.CONSULTATION
    assert decision.raised_by == ("sante_incertain",)


def test_an_unclear_non_health_message_stays_info(triage: Triage) -> None:
    decision = triage.decide("euh je sais pas trop", signal(("services_offerts", 0.18), ("rhume", 0.14)))
    assert decision.disposition is Disposition.INFO


def test_clinician_need_spread_over_two_intents(triage: Triage) -> None:
    ranking = signal(("rhume", 0.4), ("symptome_clinicien", 0.2), ("symptome_consultation", 0.15))
    assert triage.decide("j'ai un probleme", ranking).disposition is Disposition.CLINICIEN
