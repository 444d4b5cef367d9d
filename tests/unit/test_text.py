import pytest

from bot.platform.text import normalise, strip_accents


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("J’ai 38,4 de fièvre!!", "j ai 38.4 de fievre ! !"),
        ("chu pu capable tsé", "je suis plus capable tu sais"),
        ("c quoi vos heures", "c est quoi vos heures"),
        ("c'est-tu grave?", "c est tu grave ?"),
        ("jai mal au cœur", "j ai mal au coeur"),
        ("AIDEEEEE", "aidee"),
        ("rdv svp", "rendez vous s il vous plait"),
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_strip_accents_handles_ligatures() -> None:
    assert strip_accents("œil Œuvre éàç") == "oeil oeuvre eac"


def test_normalise_survives_odd_input() -> None:
    assert normalise("\x00\ufffd🙂🙂") == ""
    assert normalise("a" * 10_000).startswith("aa")


@pytest.mark.parametrize("raw", ["c quoi vos heures", "chu pu capable", "J'ai 38,4 de fièvre", "c est quoi"])
def test_normalise_is_idempotent(raw: str) -> None:
    once = normalise(raw)
    assert normalise(once) == once
