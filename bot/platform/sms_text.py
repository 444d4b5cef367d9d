"""Text made for SMS: GSM-7 or UCS-2, segment counts, numbered choices, clean splits.

A message that holds one character outside the GSM-7 alphabet is sent as UCS-2, where a segment holds
70 characters instead of 160: a single typographic apostrophe can double what a reply costs and how
many pieces an old phone has to stitch together. So every bot reply is rewritten with plain
equivalents first (’ → ', « » → ", … → ..., œ → oe, and French accents that GSM-7 lacks, like ê or ç,
to their base letter: the word stays readable, as members themselves write it). Letters with no
plain equivalent (emoji, other scripts) are kept and the message goes out as UCS-2.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

# GSM 03.38 default alphabet and the extension table (each extension character costs two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153  # septets: one segment, or each part of a concatenated message
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units
MAX_SEGMENTS = 3  # the longest SMS the bot sends; longer replies are split between sentences

# Plain equivalents for characters that would force UCS-2.
REPLACEMENTS = {
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "´": "'",
    "`": "'",
    "«": '"',
    "»": '"',
    "“": '"',
    "”": '"',
    "„": '"',
    "…": "...",
    "œ": "oe",
    "Œ": "OE",
    "æ": "ae",
    "–": "-",
    "—": "-",
    "‑": "-",
    "−": "-",
    "•": "-",
    "\u00a0": " ",  # no-break space, used before : ; ? ! in French typography
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",
    "\t": " ",
    "°": "o",
    "×": "x",
    "ç": "c",  # GSM-7 has only the capital Ç
}
SENTENCE_END = re.compile(r"(?<=[.!?:])\s+")


@dataclass(frozen=True)
class SmsFigures:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def figures(text: str) -> SmsFigures:
    """The encoding a phone network will use for `text`, its length in that encoding and its segments."""
    if is_gsm7(text):
        costs = [2 if c in GSM7_EXTENSION else 1 for c in text]
        return SmsFigures("GSM-7", sum(costs), _segments(costs, GSM7_SINGLE, GSM7_PART))
    costs = [2 if ord(c) > 0xFFFF else 1 for c in text]
    return SmsFigures("UCS-2", sum(costs), _segments(costs, UCS2_SINGLE, UCS2_PART))


def segment_count(text: str) -> int:
    return figures(text).segments


def _segments(costs: list[int], single: int, part: int) -> int:
    """Segments needed, never cutting an escape pair or a surrogate pair across two segments."""
    if sum(costs) <= single:
        return 1 if costs else 0
    count, used = 1, 0
    for cost in costs:
        if used + cost > part:
            count, used = count + 1, 0
        used += cost
    return count


def plain(text: str) -> str:
    """`text` with every character that forces UCS-2 replaced by a plain GSM-7 equivalent, when one exists."""
    text = re.sub(r"«[\s\u00a0\u202f]*", '"', text)
    text = re.sub(r"[\s\u00a0\u202f]*»", '"', text)
    out: list[str] = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION:
            out.append(char)
        elif char in REPLACEMENTS:
            out.append(REPLACEMENTS[char])
        else:
            base = unicodedata.normalize("NFD", char)[0]
            out.append(base if base != char and base in GSM7_BASIC else char)
    return re.sub(r" {2,}", " ", "".join(out))


def with_choices(text: str, choices: Sequence[str], language: str = "fr") -> str:
    """A message with buttons, written for SMS: numbered choices and how to answer."""
    if not choices:
        return text
    lines = [text.rstrip(), *(f"{i}. {title}" for i, title in enumerate(choices, start=1))]
    numbers = [str(i) for i in range(1, len(choices) + 1)]
    word, reply = ("or", "Reply") if language == "en" else ("ou", "Répondez")
    how = numbers[0] if len(numbers) == 1 else f"{', '.join(numbers[:-1])} {word} {numbers[-1]}"
    lines.append(f"{reply} {how}.")
    return "\n".join(lines)


def chosen(reply: str, payloads: Sequence[str]) -> str | None:
    """The payload a member picked by answering with its number ("2", "2.", " 2) "), if any."""
    match = re.fullmatch(r"\s*#?(\d{1,2})\s*[.)]?\s*", reply)
    if not match:
        return None
    index = int(match.group(1)) - 1
    return payloads[index] if 0 <= index < len(payloads) else None


def pack(messages: Sequence[str], max_segments: int = MAX_SEGMENTS) -> list[str]:
    """One bot turn as few SMS as possible, each at most `max_segments`, split between sentences.

    Messages of one turn are joined (one SMS arrives whole; separate ones can arrive out of order).
    A message too long for one SMS is cut after a sentence, or after a word as a last resort.
    """
    pieces: list[str] = []
    for message in messages:
        message = plain(message).strip()
        if message:
            pieces.extend(_fit(message, max_segments))
    bodies: list[str] = []
    for piece in pieces:
        joined = f"{bodies[-1]}\n{piece}" if bodies else piece
        if bodies and segment_count(joined) <= max_segments:
            bodies[-1] = joined
        else:
            bodies.append(piece)
    return bodies


def _fit(text: str, max_segments: int) -> list[str]:
    if segment_count(text) <= max_segments:
        return [text]
    parts: list[str] = []
    for unit, joiner in _units(text, max_segments):
        candidate = f"{parts[-1]}{joiner}{unit}" if parts else unit
        if parts and segment_count(candidate) <= max_segments:
            parts[-1] = candidate
        else:
            parts.append(unit)
    return parts


def _units(text: str, max_segments: int) -> list[tuple[str, str]]:
    """Lines, then sentences, then words as a last resort, each with what joined it to the previous one."""
    units: list[tuple[str, str]] = []
    for line in text.split("\n"):
        joiner = "\n"
        for sentence in SENTENCE_END.split(line):
            if segment_count(sentence) <= max_segments:
                units.append((sentence, joiner))
            else:
                words = sentence.split(" ")
                units.append((words[0], joiner))
                units.extend((word, " ") for word in words[1:])
            joiner = " "
    return units
