"""What a caller says, read for the bot: spoken numbers, dates of birth, choices and call commands.

Twilio's speech recognition writes what it hears, sometimes with digits ("le 12 mars 1956"),
sometimes in words ("le douze mars mille neuf cent cinquante-six"). The bot reads digits, so spoken
numbers are turned into digits where a date or a choice is expected; anything else goes to the bot
as heard, so that triage reads the caller's own words.
"""

from __future__ import annotations

import re
from datetime import date

from bot.membership.birthdate import MONTHS, parse_birth_date
from bot.platform.text import strip_accents

UNITS = {
    "zero": 0, "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7,
    "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15,
    "seize": 16, "vingt": 20, "vingts": 20, "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60,
    "quatre-vingt": 80, "septante": 70, "octante": 80, "huitante": 80, "nonante": 90,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
HUNDREDS = {"cent", "cents", "hundred"}
THOUSANDS = {"mille", "mil", "thousand"}
JOINERS = {"et", "and"}  # "vingt et un", "one hundred and twelve"
ORDINALS = {
    "premier": 1, "premiere": 1, "first": 1, "deuxieme": 2, "second": 2, "seconde": 2, "troisieme": 3,
    "third": 3, "quatrieme": 4, "fourth": 4, "cinquieme": 5, "fifth": 5,
}  # fmt: skip
CHOICE_FILLER = {"le", "la", "l", "numero", "number", "no", "option", "choix", "plage", "the", "c", "est", "ca"}
# Whole utterances only: "arrête" ends the call, "arrête pas de saigner" goes to the bot.
REPEAT = {
    "repetez", "repeter", "repete", "pardon", "quoi", "comment", "hein", "repetez s il vous plait",
    "pouvez vous repeter", "peux tu repeter", "pardon repetez", "repeat", "say that again", "sorry", "what",
    "can you repeat", "repeat please",
}  # fmt: skip
STOP = {
    "arrete", "arretez", "arreter", "arrete ca", "arretez ca", "stop", "raccroche", "raccrocher", "c est tout",
    "au revoir", "merci au revoir", "termine", "c est termine", "bye", "goodbye", "hang up", "that s all",
}  # fmt: skip


def _said(text: str) -> str:
    """Lower case, no accents, words only: what a caller's utterance is compared on."""
    return " ".join(re.findall(r"[a-z0-9]+", strip_accents(text.lower())))


def _tokens(text: str) -> list[str]:
    said = strip_accents(text.lower()).replace("-", " ")
    said = re.sub(r"\bquatre\s+vingts?\b", "quatre-vingt", said)
    return re.findall(r"[a-z]+(?:-[a-z]+)?|\d+", said)


def digits_for_words(text: str) -> str:
    """`text` with each run of number words written in digits ("mille neuf cent cinquante-six" -> "1956")."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        trailing: list[str] = []
        while run and run[-1] in JOINERS:  # "et" after a number is a word, not part of it
            trailing.insert(0, run.pop())
        value = _value(run)
        if value is not None:
            out.append(str(value))
        out.extend(trailing)
        run.clear()

    for token in _tokens(text):
        if token in UNITS or token in HUNDREDS or token in THOUSANDS or (token in JOINERS and run):
            run.append(token)
            continue
        flush()
        out.append(token)
    flush()
    return " ".join(out)


def _value(words: list[str]) -> int | None:
    if not words:
        return None
    total, current = 0, 0
    for word in words:
        if word in UNITS:
            current += UNITS[word]
        elif word in HUNDREDS:
            current = (current or 1) * 100
        elif word in THOUSANDS:
            total += (current or 1) * 1000
            current = 0
    return total + current


def spoken_birth_date(text: str, today: date | None = None) -> date | None:
    """The date a caller says, in words or digits ("le douze mars mille neuf cent cinquante-six"),
    when the whole utterance is one date and reads one way only; else None."""
    written = digits_for_words(text.replace("premier", "1"))
    leftover = [w for w in re.findall(r"[a-z]+", written) if w not in MONTHS and w not in {"le", "ne", "nee", "en"}]
    if leftover:
        return None
    readings = parse_birth_date(written, today)
    return readings[0] if len(readings) == 1 else None


def keyed_birth_date(digits: str, today: date | None = None) -> date | None:
    """A date typed on the keypad as day, month, year: 8 digits (12031956)."""
    if not re.fullmatch(r"\d{8}", digits):
        return None
    readings = parse_birth_date(f"{digits[:2]}/{digits[2:4]}/{digits[4:]}", today)
    return readings[0] if readings else None


def choice_index(text: str, count: int) -> int | None:
    """Which of `count` choices a caller named by its number ("deux", "le deuxième", "numéro 2"), 1-based."""
    words = [w for w in digits_for_words(text).split() if w not in CHOICE_FILLER]
    if len(words) != 1:
        return None
    word = words[0]
    number = int(word) if word.isdigit() else ORDINALS.get(word)
    return number if number is not None and 1 <= number <= count else None


def command(text: str) -> str | None:
    """A call command said on its own: "repeter" (say it again) or "arreter" (end the call)."""
    said = _said(text)
    if said in REPEAT:
        return "repeter"
    if said in STOP:
        return "arreter"
    return None
