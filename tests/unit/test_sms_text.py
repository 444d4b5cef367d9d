"""SMS encoding, segments, numbered choices and the channel's screening of what members send."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import Content
from bot.platform.sms_text import chosen, figures, pack, plain, segment_count, with_choices
from bot.sms.conversation import BotMessage, Screened, load_sms_texts, parse_form, repaired, screen, write_turn
from bot.sms.keywords import keyword

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("x" * 160, "GSM-7", 160, 1),
        ("x" * 161, "GSM-7", 161, 2),
        ("x" * 306, "GSM-7", 306, 2),
        ("x" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
        ("x" + "€" * 76 + "x", "GSM-7", 154, 1),
        ("à é è ù É Ç", "GSM-7", 11, 1),
        ("ê" * 70, "UCS-2", 70, 1),
        ("ê" * 71, "UCS-2", 71, 2),
        ("😀" * 35, "UCS-2", 70, 1),  # each emoji is two UTF-16 units
    ],
)
def test_figures(text: str, encoding: str, units: int, segments: int) -> None:
    result = figures(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_an_escape_pair_is_never_cut_across_segments() -> None:
    # 152 plain septets then a two-septet "€": the euro cannot straddle parts, so a third part starts.
    assert segment_count("x" * 152 + "€" + "x" * 152) == 3


def test_plain_keeps_meaning_and_leaves_gsm7() -> None:
    text = "L’infirmière « Hélène » vous rappellera… Sœur, ça va? Être à l’hôpital — c’est sûr."
    result = plain(text)
    assert result == "L'infirmière \"Hélène\" vous rappellera... Soeur, ca va? Etre à l'hopital - c'est sur."
    assert figures(result).encoding == "GSM-7"


def test_plain_keeps_what_has_no_equivalent() -> None:
    assert plain("Merci 🙏") == "Merci 🙏"


def test_choices_are_numbered_and_understood() -> None:
    text = with_choices("Pour qui?", ["Pour moi", "Un enfant", "Une autre personne"])
    assert text == "Pour qui?\n1. Pour moi\n2. Un enfant\n3. Une autre personne\nRépondez 1, 2 ou 3."
    assert with_choices("Oui?", ["Oui", "Non"]).endswith("Répondez 1 ou 2.")
    payloads = ["pour moi", "pour un enfant", "pour une autre personne"]
    assert chosen("2", payloads) == "pour un enfant"
    assert chosen(" 3. ", payloads) == "pour une autre personne"
    assert chosen("1)", payloads) == "pour moi"
    assert chosen("4", payloads) is None
    assert chosen("2 enfants", payloads) is None
    assert chosen("911", payloads) is None


def test_pack_joins_a_turn_and_splits_between_sentences() -> None:
    assert pack(["Bonjour.", "Comment puis-je aider?"]) == ["Bonjour.\nComment puis-je aider?"]
    sentence = "Cette phrase est assez longue pour compter dans le calcul des segments. "
    bodies = pack([sentence * 12])
    assert len(bodies) == 2
    for body in bodies:
        assert segment_count(body) <= 3
        assert body.endswith("segments.")
    assert " ".join(bodies) == (sentence * 12).strip()


def test_pack_cuts_between_words_when_a_sentence_is_too_long() -> None:
    bodies = pack(["mot " * 300])
    assert all(segment_count(b) <= 3 for b in bodies)
    assert " ".join(bodies).split() == ["mot"] * 300


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("STOP", "stop"),
        ("arrêt", "stop"),
        ("Arrêter svp", "stop"),
        ("ARRET.", "stop"),
        ("désabonner", "stop"),
        ("Unsubscribe", "stop"),
        ("start", "start"),
        ("Début", "start"),
        ("REPRENDRE", "start"),
        ("aide", "help"),
        ("HELP!", "help"),
        ("Info", "help"),
        ("je veux arrêter de fumer", None),
        ("arrêt cardiaque", None),
        ("stop la douleur", None),
    ],
)
def test_keywords(body: str, expected: str | None) -> None:
    assert keyword(body) == expected


def test_a_form_body_in_any_bytes_is_read() -> None:
    assert parse_form(b"Body=j%27ai+mal+%C3%A0+la+t%C3%AAte&From=%2B18195550101") == {
        "Body": "j'ai mal à la tête",
        "From": "+18195550101",
    }
    assert parse_form(b"Body=%FF%FEmal")["Body"] == "\ufffd\ufffdmal"
    assert parse_form(b"Body=caf\xe9")["Body"] == "caf\ufffd"  # raw Latin-1 byte: not UTF-8


def test_mis_decoded_text_is_repaired() -> None:
    assert repaired("jâ€™ai mal \u00c3\u00a0 la tÃªte, Ã") == "j’ai mal à la tête, Ã"
    assert repaired("mal \ufffd la t\ufffdte\x00") == "mal   la t te"


@pytest.mark.parametrize(
    ("body", "media", "notices", "text"),
    [
        ("", 0, ("empty",), None),
        ("   ", 0, ("empty",), None),
        ("", 1, ("media",), None),
        ("voici ma plaie", 1, ("media",), "voici ma plaie"),
        ("😀😀😀", 0, ("unreadable",), None),
        ("\ufffd\ufffd", 0, ("empty",), None),
        ("?!", 0, ("unreadable",), None),
        ("j'ai mal à la poitrine", 0, (), "j'ai mal à la poitrine"),
    ],
)
def test_screen(body: str, media: int, notices: tuple[str, ...], text: str | None) -> None:
    assert screen(body, media) == Screened(notices, text)


def test_a_very_long_message_is_read_up_to_the_limit() -> None:
    screened = screen("j'ai mal à la poitrine " + "bla " * 600, 0)
    assert screened.notices == ("too_long",)
    assert screened.text is not None and len(screened.text) <= 1600
    assert screened.text.startswith("j'ai mal à la poitrine")


def test_an_opted_out_turn_keeps_only_the_emergency_answer() -> None:
    messages = [BotMessage("Appelez le 911 maintenant.", urgent=True), BotMessage("Acceptez-vous?", (("Oui", "/o"),))]
    assert write_turn(messages, urgent_only=True).bodies == ["Appelez le 911 maintenant."]
    turn = write_turn(messages)
    assert turn.bodies == ["Appelez le 911 maintenant.\nAcceptez-vous?\n1. Oui\nRépondez 1."]
    assert turn.payloads == ["/o"]


def test_a_rasa_message_becomes_a_bot_message() -> None:
    message = BotMessage.from_rasa(
        {"text": "Call 911 now.", "urgence": "911", "langue": "en", "buttons": [{"title": "A", "payload": "/a"}]}
    )
    assert message == BotMessage("Call 911 now.", (("A", "/a"),), True, "en")
    assert write_turn([message]).bodies == ["Call 911 now.\n1. A\nReply 1."]


def test_every_channel_text_fits_and_is_bilingual_where_carriers_ask(content: Content) -> None:
    texts = load_sms_texts(ROOT / "content", list(content.coops.values()))
    for coop in content.coops.values():
        for key in texts.templates:
            body = write_turn([BotMessage(texts.say(key, coop))]).bodies
            assert len(body) == 1 and segment_count(body[0]) <= 3, key
        for key, english in (("stop", "START"), ("start", "STOP"), ("help", "Emergency")):
            assert english in texts.say(key, coop)


def test_no_answer_is_over_three_segments() -> None:
    from tools.sms_report import main

    assert main(["--no-turns"]) == 0
