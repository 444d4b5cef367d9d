"""Which dispositions are emergencies is declared once (bot/triage/dispositions.py)."""

from bot.triage.dispositions import Disposition, is_emergency


def test_the_three_emergencies() -> None:
    assert {d.value for d in Disposition if d.is_emergency} == {"911", "crise", "urgence"}


def test_stored_codes() -> None:
    assert is_emergency("911") and is_emergency("urgence")
    assert not is_emergency("clinicien") and not is_emergency("") and not is_emergency("inconnu")
