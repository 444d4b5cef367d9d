"""The bot's replies written for the ear: what the phone line says, and its own texts (content/voice.yml).

The bot writes for SMS and the web. On the phone, a few replies are said otherwise (`remplace`: "call
911" becomes "hang up and dial 911", since Twilio cannot call 911 for the caller), written phrases
become spoken ones ("écrivez ANNULER" -> "dites annuler"), numbers to dial are said digit by digit
("811" -> "huit, un, un"), and buttons become "say your choice or press 1, 2 or 3".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content import Content, Coop
from bot.platform.language import ENGLISH, FRENCH, LANGUAGES
from bot.sms.conversation import BotMessage

DIGITS = {
    FRENCH: ("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"),
    ENGLISH: ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
}
# Numbers a caller must dial: North American numbers, 3-digit services, short codes, "9-8-8".
PHONE = re.compile(r"(?<![\d-])(?:1[ -])?\d{3}[ -]\d{3}[ -]\d{4}(?![\d-])")
SERVICE = re.compile(r"(?<![\d,.$])(?:811|911|988|\d{5,6})(?![\d,.]\d|\s?\$)")
DASHED = re.compile(r"(?<!\d)\d(?:-\d)+(?!\d)")
HOURS = re.compile(r"\b(\d{1,2}) h(?: (\d{2}))?\b")
REQUIRED = (
    "accueil", "silence", "incompris", "offre_personne", "silence_fin", "au_revoir", "choix", "oui_non",
    "crise_offre", "crise_transfert", "crise_sans_reponse", "d_accord", "relais_transfert",
    "relais_sans_reponse", "resume_offre", "resume_envoye", "rdv_offre", "technique", "resume_sms",
)  # fmt: skip
REQUESTS = ("personne", "rendez_vous", "annuler")
SUMMARY_VALUES = {"motif": "x", "pour_qui": "x", "depuis": "x", "liste": "x"}


class VoiceTextError(ValueError):
    """content/voice.yml is missing a text or a text cannot be said for a coop."""


@dataclass(frozen=True)
class Voice:
    """A Twilio <Say> voice and the languages it speaks and listens in."""

    name: str
    language: str
    recognition: str  # the <Gather> speech recognition language


@dataclass(frozen=True)
class Spoken:
    """One turn as the phone says it: one line per message, then the choices it offers, if any."""

    lines: list[str]
    payloads: list[str] = field(default_factory=list)  # what 1, 2... (or "the second") mean next
    titles: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VoiceTexts:
    texts: Mapping[str, Mapping[str, str]]
    requests: Mapping[str, Mapping[str, str]]
    replaced: Mapping[str, Mapping[str, str]]  # texts.yml key -> language -> what is said instead
    expressions: Mapping[str, Sequence[tuple[str, str]]]
    voices: Mapping[str, Voice]
    hints: Mapping[str, str]

    def say(self, key: str, language: str, coop: Coop, **values: str) -> str:
        templates = self.texts[key]
        return (templates.get(language) or templates[FRENCH]).format_map({**coop.in_language(language), **values})

    def request(self, key: str, language: str) -> str:
        return self.requests[key].get(language) or self.requests[key][FRENCH]

    def voice(self, language: str) -> Voice:
        return self.voices.get(language) or self.voices[FRENCH]


def _bilingual(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw.get(FRENCH):
        raise VoiceTextError(f"voice.yml: {where}: expected fr: (and en:)")
    return {str(k): str(v).strip() for k, v in raw.items() if k in LANGUAGES and v}


def load_voice_texts(content_dir: Path, content: Content) -> VoiceTexts:
    """Read content/voice.yml and check that every text can be said for every coop, in both languages."""
    data = yaml.safe_load((content_dir / "voice.yml").read_text(encoding="utf-8")) or {}
    texts = {str(k): _bilingual(v, f"textes.{k}") for k, v in (data.get("textes") or {}).items()}
    requests = {str(k): _bilingual(v, f"demandes.{k}") for k, v in (data.get("demandes") or {}).items()}
    replaced = {str(k): _bilingual(v, f"remplace.{k}") for k, v in (data.get("remplace") or {}).items()}
    missing = [k for k in REQUIRED if k not in texts] + [k for k in REQUESTS if k not in requests]
    if missing:
        raise VoiceTextError(f"voice.yml: missing {missing}")
    unknown = [k for k in replaced if k not in content.texts]
    if unknown:
        raise VoiceTextError(f"voice.yml: remplace: {unknown} are not texts of texts.yml")
    voices = {
        str(lang): Voice(str(v["voix"]), str(v["langue"]), str(v.get("reconnaissance") or v["langue"]))
        for lang, v in (data.get("voix") or {}).items()
    }
    if FRENCH not in voices:
        raise VoiceTextError("voice.yml: voix: fr: is required")
    expressions = {
        str(lang): [(str(written), str(spoken)) for written, spoken in (pairs or {}).items()]
        for lang, pairs in (data.get("expressions") or {}).items()
    }
    hints = {str(k): str(v) for k, v in (data.get("indices") or {}).items()}
    voice_texts = VoiceTexts(texts, requests, replaced, expressions, voices, hints)
    for coop in content.coops.values():
        for key in (*texts, *replaced):
            for lang in LANGUAGES:
                try:
                    if key in texts:
                        voice_texts.say(key, lang, coop, **SUMMARY_VALUES)
                    else:
                        (replaced[key].get(lang) or replaced[key][FRENCH]).format_map(coop.in_language(lang))
                except (KeyError, ValueError) as exc:
                    raise VoiceTextError(f"voice.yml: {key!r} ({lang}) for coop {coop.id!r}: missing {exc}") from exc
    return voice_texts


def digit_by_digit(number: str, language: str) -> str:
    """ "811" -> "huit, un, un": each digit said apart, so the caller can dial it."""
    words = DIGITS.get(language, DIGITS[FRENCH])
    return ", ".join(words[int(d)] for d in number if d.isdigit())


def for_ear(text: str, language: str, expressions: Sequence[tuple[str, str]] = ()) -> str:
    """A text written for reading, rewritten to be said: spoken phrases, numbers to dial, hours."""
    for written, spoken in expressions:
        text = text.replace(written, spoken)
    text = PHONE.sub(lambda m: digit_by_digit(m.group(0), language), text)
    text = DASHED.sub(lambda m: digit_by_digit(m.group(0), language), text)
    text = SERVICE.sub(lambda m: digit_by_digit(m.group(0), language), text)
    text = HOURS.sub(lambda m: _hours(int(m.group(1)), m.group(2), language), text)
    text = re.sub(r"\s+\(([^)]*)\)", r", \1,", text).replace(",,", ",").replace(",.", ".")
    text = re.sub(r"\s+", " ", text.replace("«", "").replace("»", ""))
    return re.sub(r" ([.,;])", r"\1", text).strip()


def _hours(hours: int, minutes: str | None, language: str) -> str:
    """ "14 h 30" -> "14 heures 30", "1 h" -> "1 heure": said as a time, not as the letter h."""
    word = ("heure" if hours <= 1 else "heures") if language == FRENCH else ("hour" if hours == 1 else "hours")
    return f"{hours} {word}" + (f" {minutes}" if minutes else "")


class Ear:
    """Says the bot's messages for one coop's callers."""

    def __init__(self, texts: VoiceTexts, content: Content) -> None:
        self.texts = texts
        self.content = content
        self._replaced: dict[tuple[str, str], dict[str, str]] = {}

    def _replacements(self, coop: Coop, language: str) -> dict[str, str]:
        key = (coop.id, language)
        if key not in self._replaced:
            values = coop.in_language(language)
            self._replaced[key] = {
                self.content.say(text_key, language, coop.id): (spoken.get(language) or spoken[FRENCH]).format_map(
                    values
                )
                for text_key, spoken in self.texts.replaced.items()
            }
        return self._replaced[key]

    def line(self, text: str, language: str, coop: Coop) -> str:
        """One text said on the phone: its spoken version if it has one, else rewritten for the ear."""
        text = self._replacements(coop, language).get(text, text)
        return for_ear(text, language, self.texts.expressions.get(language, ()))

    def say(self, key: str, language: str, coop: Coop, **values: str) -> str:
        """A text of voice.yml, ready to be said."""
        return for_ear(self.texts.say(key, language, coop, **values), language)

    def turn(self, messages: Sequence[BotMessage], language: str, coop: Coop) -> Spoken:
        """A bot turn for the phone; the last message's buttons become a spoken menu."""
        lines = [self.line(m.text, language, coop) for m in messages if m.text.strip()]
        last = next((m for m in reversed(messages) if m.choices), None)
        if last is None:
            return Spoken(lines)
        titles = [title for title, _ in last.choices]
        payloads = [payload for _, payload in last.choices]
        if [p.lower() for p in payloads] == ["oui", "non"]:
            lines.append(self.say("oui_non", language, coop))
        else:
            listing = "; ".join(f"{n}, {self.line(title, language, coop)}" for n, title in enumerate(titles, start=1))
            lines.append(self.say("choix", language, coop, liste=listing))
        return Spoken(lines, payloads, titles)
