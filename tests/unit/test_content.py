"""content/: answers and texts for every coop, in French and English, checked when loaded."""

from pathlib import Path

import pytest
import yaml

from bot.content import Content, ContentError, load_content
from bot.platform.language import ENGLISH, FRENCH, detect

ROOT = Path(__file__).resolve().parents[2]
TOPICS = sorted(yaml.safe_load((ROOT / "tests" / "data" / "topics.yml").read_text(encoding="utf-8"))["topics"])


def test_at_least_forty_topics_members_ask_about_are_answered(content: Content) -> None:
    assert len(TOPICS) >= 40
    assert set(TOPICS) <= set(content.answers)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_coop_answers_every_topic_in_both_languages(content: Content, topic: str) -> None:
    for coop_id in content.coops:
        for language in (FRENCH, ENGLISH):
            answer = content.answer(topic, language, coop_id)
            assert answer and "{" not in answer
            assert detect(answer) == language or len(answer.split()) < 6, (topic, language, answer)


def test_self_care_answers_carry_a_safety_net(content: Content) -> None:
    for answer in content.answers.values():
        if answer.kind == "soins":
            for language in (FRENCH, ENGLISH):
                text = content.answer(answer.topic, language) or ""
                assert "811" in text or "911" in text, answer.topic


def test_the_phone_and_the_site_are_in_their_answers(content: Content) -> None:
    for coop in content.coops.values():
        assert coop.phone in (content.answer("telephone", FRENCH, coop.id) or "")
        assert coop.values["site"] in (content.answer("site_web", ENGLISH, coop.id) or "")


def test_every_text_has_english(content: Content) -> None:
    missing = [key for key, texts in content.texts.items() if ENGLISH not in texts]
    assert not missing


def test_default_and_unknown_coop(content: Content) -> None:
    assert content.coop(None).id == content.default_coop
    assert content.coop("inconnue").id == content.default_coop


def write(folder: Path, coops: str, answers: str = "answers: {}\n", texts: str = "{}") -> None:
    (folder / "answers").mkdir(exist_ok=True)
    (folder / "coops.yml").write_text(coops)
    (folder / "answers" / "coop.yml").write_text(answers)
    (folder / "texts.yml").write_text(texts)


ANSWER = (
    "answers:\n  adresse:\n    label: {fr: Adresse}\n    questions: {fr: [où êtes-vous]}\n"
    "    answer: {fr: 'Chez {nom}', en: 'At {nom}'}\n"
)


def test_staff_add_an_answer_and_a_coop_overrides_it(tmp_path: Path) -> None:
    coops = (
        "default: a\ncoops:\n  a: {nom: A, nom_en: A-en}\n"
        "  b:\n    nom: B\n    answers: {adresse: {fr: 'Chez B, au fond'}}\n"
    )
    write(tmp_path, coops, ANSWER)
    content = load_content(tmp_path)
    assert content.answer("adresse", FRENCH, "a") == "Chez A"
    assert content.answer("adresse", ENGLISH, "a") == "At A-en"
    assert content.answer("adresse", FRENCH, "b") == "Chez B, au fond"


def test_a_value_missing_for_a_coop_is_reported_at_load(tmp_path: Path) -> None:
    write(tmp_path, "default: a\ncoops:\n  a: {telephone: '1'}\n", ANSWER)
    with pytest.raises(ContentError, match="nom"):
        load_content(tmp_path)


def test_an_answer_without_example_questions_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "default: a\ncoops:\n  a: {nom: A}\n", "answers:\n  x:\n    label: X\n    answer: 'x'\n")
    with pytest.raises(ContentError, match="questions"):
        load_content(tmp_path)


def test_a_text_with_an_unknown_placeholder_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "default: a\ncoops:\n  a: {nom: A}\n", texts="x:\n  fr: 'Bonjour {inconnu}'\n")
    with pytest.raises(ContentError, match="inconnu"):
        load_content(tmp_path)


def test_a_text_longer_than_three_sms_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "default: a\ncoops:\n  a: {nom: A}\n", texts=f"x:\n  fr: '{'Une phrase. ' * 60}'\n")
    with pytest.raises(ContentError, match="3 SMS"):
        load_content(tmp_path)


def test_unknown_default_coop_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "default: z\ncoops:\n  a: {nom: A}\n")
    with pytest.raises(ContentError):
        load_content(tmp_path)
