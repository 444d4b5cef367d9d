from pathlib import Path

import pytest

from bot.content import Content, ContentError, load_content

ROOT = Path(__file__).resolve().parent.parent
COOP_TOPICS = [
    "heures_ouverture",
    "adresse",
    "services_offerts",
    "prise_de_sang",
    "devenir_membre",
    "telemedecine_prix",
    "telemedecine_fonctionnement",
    "info_sante_811",
]
SELFCARE_TOPICS = [
    "rhume",
    "mal_gorge",
    "fievre_adulte",
    "piqure_insecte",
    "coupure_brulure",
    "effets_vaccin",
    "nausee",
    "mal_tete",
    "diarrhee",
    "feu_sauvage",
]


@pytest.mark.parametrize("topic", COOP_TOPICS)
def test_every_coop_answers_every_topic(content: Content, topic: str) -> None:
    for coop_id in content.coops:
        answer = content.coop_answer(topic, coop_id)
        assert answer and "{" not in answer


@pytest.mark.parametrize("topic", SELFCARE_TOPICS)
def test_selfcare_answers_carry_a_safety_net(content: Content, topic: str) -> None:
    answer = content.selfcare_answer(topic)
    assert answer and ("811" in answer or "911" in answer)


def test_telemedicine_price(content: Content) -> None:
    assert "8 $ par mois" in (content.coop_answer("telemedecine_prix") or "")


def test_default_and_unknown_coop(content: Content) -> None:
    assert content.coop(None).id == content.default_coop
    assert content.coop("inconnue").id == content.default_coop
    assert content.coop("hautes-laurentides").name.startswith("Coopérative")


def test_a_coop_can_override_an_answer(tmp_path: Path) -> None:
    (tmp_path / "coops.yml").write_text(
        "default: a\ncoops:\n  a: {nom: A, telephone: '1'}\n  b:\n    nom: B\n    answers: {adresse: 'Chez B'}\n"
        "answers:\n  adresse: 'Chez {nom}'\n"
    )
    (tmp_path / "selfcare.yml").write_text("answers: {}\n")
    content = load_content(tmp_path)
    assert content.coop_answer("adresse", "a") == "Chez A"
    assert content.coop_answer("adresse", "b") == "Chez B"


def test_missing_value_is_reported_at_load(tmp_path: Path) -> None:
    (tmp_path / "coops.yml").write_text("default: a\ncoops:\n  a: {nom: A}\nanswers:\n  adresse: '{adresse}'\n")
    (tmp_path / "selfcare.yml").write_text("answers: {}\n")
    with pytest.raises(ContentError, match="adresse"):
        load_content(tmp_path)


def test_unknown_default_coop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "coops.yml").write_text("default: z\ncoops:\n  a: {nom: A}\n")
    (tmp_path / "selfcare.yml").write_text("answers: {}\n")
    with pytest.raises(ContentError):
        load_content(tmp_path)


def test_shipped_content_loads() -> None:
    assert load_content(ROOT / "content").default_coop == "val-morin"
