import pytest

from bot.triage import Disposition as D
from bot.triage.metrics import score


def test_perfect_scores() -> None:
    codes = [D.NEUF_UN_UN, D.CRISE, D.URGENCE, D.CLINICIEN, D.CONSULTATION, D.INFO]
    scores = score(codes, codes)
    assert scores.accuracy == 1.0 and scores.under_triage == 0.0 and scores.over_triage == 0.0
    assert scores.failures() == []


def test_clinicien_and_consultation_are_one_level() -> None:
    scores = score([D.CLINICIEN, D.CONSULTATION], [D.CONSULTATION, D.CLINICIEN])
    assert scores.accuracy == 1.0


def test_under_and_over_triage_and_recall() -> None:
    expected = [D.NEUF_UN_UN, D.CRISE, D.INFO, D.INFO]
    predicted = [D.URGENCE, D.NEUF_UN_UN, D.CLINICIEN, D.INFO]
    scores = score(expected, predicted)
    assert scores.recall_911 == 0.0
    assert scores.recall_crise == 0.0
    assert scores.under_triage == 0.25
    assert scores.over_triage == 0.5
    assert scores.accuracy == 0.25
    assert any("recall_911" in f for f in scores.failures())


def test_score_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        score([], [])
    with pytest.raises(ValueError):
        score([D.INFO], [])


def test_disposition_parse() -> None:
    assert D.parse(" Crise ") is D.CRISE
    with pytest.raises(ValueError):
        D.parse("bientot")
