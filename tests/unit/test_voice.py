"""The phone line's plain parts: spoken words read, replies written for the ear, TwiML, call decisions."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest

from bot.content import Content
from bot.membership.verification import call_sender, phone_of_sender
from bot.sms.conversation import BotMessage
from bot.voice.call import CRISIS_LINE, Call, Heard, after_bot, after_transfer, hear, on_silence
from bot.voice.speech import Ear, VoiceTexts, digit_by_digit, for_ear, load_voice_texts
from bot.voice.twiml import VERBS, Listen, Transfer, hang_up, listen, transfer, unknown_verbs
from bot.voice.words import choice_index, command, digits_for_words, keyed_birth_date, spoken_birth_date

ROOT = Path(__file__).resolve().parents[2]
# Texts never said on a call: the web's, SMS reminders, and the web's identity steps.
SMS_OR_WEB_ONLY = ("web.", "rdv.rappel", "rdv.calendrier", "identite.sms_code", "identite.code", "identite.numero")
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def texts(content: Content) -> VoiceTexts:
    return load_voice_texts(ROOT / "content", content)


@pytest.fixture(scope="module")
def ear(texts: VoiceTexts, content: Content) -> Ear:
    return Ear(texts, content)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("le douze mars mille neuf cent cinquante-six", date(1956, 3, 12)),
        ("Le 12 mars 1956.", date(1956, 3, 12)),
        ("premier avril dix-neuf cent quatre-vingt-dix-neuf", date(1999, 4, 1)),
        ("vingt et un juin soixante-dix-sept", date(1977, 6, 21)),
        ("le trente et un décembre deux mille", date(2000, 12, 31)),
        ("ma femme a de la misère à respirer", None),
        ("le douze mars", None),
    ],
)
def test_spoken_birth_dates(said: str, expected: date | None) -> None:
    assert spoken_birth_date(said, TODAY) == expected


def test_numbers_in_words_and_keyed_dates() -> None:
    assert digits_for_words("soixante et onze") == "71"
    assert digits_for_words("quatre-vingt-dix-neuf ans et deux mois") == "99 ans et 2 mois"
    assert keyed_birth_date("12031956", TODAY) == date(1956, 3, 12)
    assert keyed_birth_date("1203", TODAY) is None


@pytest.mark.parametrize(
    ("said", "count", "expected"),
    [("la deuxième", 3, 2), ("numéro trois", 3, 3), ("2", 3, 2), ("le premier", 2, 1), ("quatre", 3, None),
     ("une personne", 3, None), ("pour moi", 3, None)],
)  # fmt: skip
def test_spoken_choices(said: str, count: int, expected: int | None) -> None:
    assert choice_index(said, count) == expected


def test_call_commands_are_whole_utterances() -> None:
    assert command("Répétez.") == command("pardon?") == command("repeat") == "repeter"
    assert command("Arrête!") == command("au revoir") == command("stop") == "arreter"
    assert command("arrête pas de saigner") is None
    assert command("répétez après moi j'ai mal") is None


def test_numbers_to_dial_are_said_digit_by_digit() -> None:
    assert digit_by_digit("811", "fr") == "huit, un, un"
    assert digit_by_digit("911", "en") == "nine, one, one"
    assert for_ear("Urgence: 911. Coop: 819 555-0100.", "fr") == (
        "Urgence: neuf, un, un. Coop: huit, un, neuf, cinq, cinq, cinq, zéro, un, zéro, zéro."
    )
    said = for_ear("Le 3 décembre à 14 h 30, 1 h avant, 40 $.", "fr")
    assert said == "Le 3 décembre à 14 heures 30, 1 heure avant, 40 $."
    assert for_ear("Appelez (le 811).", "fr") == "Appelez, le huit, un, un."


def test_every_reply_is_rewritten_for_the_ear(content: Content, ear: Ear) -> None:
    """Nothing said on the phone asks the caller to write, or reads a number to dial as a quantity."""
    for coop in content.coops.values():
        for key in [k for k in content.texts if not k.startswith(SMS_OR_WEB_ONLY)]:
            for lang in ("fr", "en"):
                said = ear.line(content.say(key, lang, coop.id, **dict.fromkeys(_values(), "x")), lang, coop)
                assert "911" not in said and "811" not in said, (key, lang, said)
                assert "ANNULER" not in said and "« " not in said, (key, lang, said)
                assert "crivez" not in said and "Write" not in said and "write me" not in said, (key, lang, said)


def _values() -> set[str]:
    from bot.content import CALL_VALUES

    return set(CALL_VALUES)


def test_911_is_said_as_hang_up_and_dial(content: Content, ear: Ear) -> None:
    coop = content.coop(None)
    assert ear.line(content.say("triage.911"), "fr", coop).startswith("Raccrochez et composez le neuf, un, un")
    assert ear.line(content.say("triage.911", "en"), "en", coop).startswith("Hang up and dial nine, one, one")


def test_buttons_become_a_spoken_menu(content: Content, ear: Ear) -> None:
    coop = content.coop(None)
    spoken = ear.turn([BotMessage("Comment?", (("Vidéo", "video"), ("Téléphone", "telephone")))], "fr", coop)
    assert spoken.lines[-1] == "Dites votre choix, ou appuyez sur le chiffre: 1, Vidéo; 2, Téléphone."
    assert spoken.payloads == ["video", "telephone"]
    yes_no = ear.turn([BotMessage("D'accord?", (("Oui", "oui"), ("Non", "non")))], "fr", coop)
    assert yes_no.lines[-1] == "Dites oui ou appuyez sur 1. Dites non ou appuyez sur 2."


def test_what_a_caller_says_or_presses() -> None:
    call = Call("CA1", "+18195550101", "val-morin", turn=1)
    assert hear(call, None, "") == Heard("silence")
    assert hear(call, "?!", "") == Heard("incompris")
    assert hear(call, "", "9") == Heard("anglais")
    assert hear(call, "le douze mars mille neuf cent cinquante-six", "", TODAY) == Heard("texte", "1956-03-12")
    assert hear(call, "", "12031956", TODAY) == Heard("texte", "1956-03-12")
    assert hear(call, "", "0") == Heard("personne")
    call.payloads = ["video", "telephone"]
    assert hear(call, "la deuxième", "") == hear(call, "", "2") == Heard("texte", "telephone")
    call.offer = "crise"
    assert hear(call, "oui", "") == hear(call, "", "1") == Heard("oui")
    assert hear(call, "j'ai mal au ventre", "") == Heard("texte", "j'ai mal au ventre")


def test_911_is_said_twice_then_the_line_hangs_up(content: Content, ear: Ear) -> None:
    coop = content.coop(None)
    call = Call("CA1", "+18195550101", coop.id)
    plan = after_bot(call, [BotMessage(content.say("triage.911"), urgent=True)], ["911"], ear, coop, False)
    assert plan.then == "raccrocher" and len(plan.lines) == 2 and plan.lines[0] == plan.lines[1]


def test_a_crisis_offers_the_transfer_and_a_ticket_is_put_through(content: Content, ear: Ear) -> None:
    coop = content.coop(None)
    call = Call("CA1", "+18195550101", coop.id)
    plan = after_bot(call, [BotMessage(content.say("triage.crise"), urgent=True)], ["crise"], ear, coop, False)
    assert plan.then == "ecouter" and call.offer == "crise" and "transfère" in plan.lines[-1]
    plan = after_bot(call, [BotMessage(content.say("relais.ouvert"))], [""], ear, coop, True)
    assert plan.then == "transferer" and plan.number == coop.values["garde"]
    call.ticket = "T1"
    plan = after_transfer(call, "no-answer", ear, coop)
    assert call.offer == "resume" and "huit, un, un" in plan.lines[0]
    call.transfer = "crise"
    assert "Composez vous-même" in after_transfer(call, "busy", ear, coop).lines[0]
    assert CRISIS_LINE == "+18662773553"


def test_silence_reprompts_then_offers_a_person_then_ends(content: Content, ear: Ear) -> None:
    coop = content.coop(None)
    call = Call("CA1", "+18195550101", coop.id, last=["Quelle est votre date de naissance?"])
    first = on_silence(call, Heard("silence"), ear, coop)
    assert first.lines == ["Je ne vous ai pas entendu.", "Quelle est votre date de naissance?"]
    assert "appuyez sur 0" in on_silence(call, Heard("incompris"), ear, coop).lines[-1]
    assert on_silence(call, Heard("silence"), ear, coop).then == "raccrocher"


def test_twiml_uses_only_twilio_verbs_and_parses() -> None:
    from bot.voice.speech import Voice

    voice = Voice("Polly.Gabrielle-Neural", "fr-CA", "fr-CA")
    for twiml in (
        listen(["Bonjour."], voice, Listen("/webhooks/voice/ecoute?t=1", "oui, non", one_key=True)),
        transfer(["Je vous transfère."], voice, Transfer("+18195550190", "/webhooks/voice/transfert?t=2")),
        hang_up(["Au revoir."], voice),
    ):
        root = ElementTree.fromstring(twiml)
        assert root.tag == "Response" and not unknown_verbs(twiml)
        assert {e.tag for e in root.iter()} <= VERBS
    gather = ElementTree.fromstring(listen(["x"], voice, Listen("/a"))).find("Gather")
    assert gather is not None
    assert gather.get("input") == "speech dtmf" and gather.get("language") == "fr-CA"
    assert gather.get("actionOnEmptyResult") == "true"


def test_a_call_is_its_own_conversation_on_the_callers_phone() -> None:
    sender = call_sender("+18195550101", "CA0123")
    assert sender == "+18195550101~CA0123"
    assert phone_of_sender(sender) == phone_of_sender("+18195550101") == "+18195550101"
    assert phone_of_sender("web-abc") is None
