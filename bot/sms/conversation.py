"""What the SMS channel does with a message, in plain Python: read it, screen it, write the answer.

The channel (channels/sms.py) handles HTTP, signatures and Rasa; everything a member could send
that is not a plain question is decided here, so it can be tested without a server.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

import yaml

from bot.content import Coop
from bot.platform.sms_text import pack, with_choices

MAX_INBOUND_CHARS = 1600  # Twilio's limit for one message; a longer body is read up to here
MAX_FORM_FIELDS = 100
MOJIBAKE = re.compile("Ã[\u0080-\u00bf]|â€")  # UTF-8 read as Windows-1252: "Ã©" for "é", "â€™" for "’"


class SmsTextError(ValueError):
    """content/sms.yml is missing a text or a text cannot be written for a coop."""


@dataclass(frozen=True)
class SmsTexts:
    """The channel's own texts (content/sms.yml), written for a coop."""

    templates: Mapping[str, str]

    REQUIRED = ("stop", "start", "help", "media", "empty", "unreadable", "too_long", "technical")

    def say(self, key: str, coop: Coop) -> str:
        return self.templates[key].format_map(coop.values)


def load_sms_texts(content_dir: Path, coops: Sequence[Coop] = ()) -> SmsTexts:
    data = yaml.safe_load((content_dir / "sms.yml").read_text(encoding="utf-8")) or {}
    texts = SmsTexts({str(k): str(v) for k, v in data.items()})
    missing = [k for k in SmsTexts.REQUIRED if k not in texts.templates]
    if missing:
        raise SmsTextError(f"sms.yml: missing {missing}")
    for coop in coops:
        for key in texts.templates:
            try:
                texts.say(key, coop)
            except (KeyError, ValueError) as exc:
                raise SmsTextError(f"sms.yml: {key!r} for coop {coop.id!r}: missing {exc}") from exc
    return texts


def parse_form(raw: bytes) -> dict[str, str]:
    """A form-encoded webhook body, decoded as UTF-8 whatever bytes it holds (bad bytes become U+FFFD)."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1", max_num_fields=MAX_FORM_FIELDS)
    return {_utf8(key): _utf8(value) for key, value in pairs}


def _utf8(latin: str) -> str:
    return latin.encode("latin-1").decode("utf-8", errors="replace")


@dataclass(frozen=True)
class Screened:
    """What to tell the member first (keys of content/sms.yml) and what to give the assistant, if anything."""

    notices: tuple[str, ...] = ()
    text: str | None = None


def repaired(body: str) -> str:
    """`body` with mis-decoded accents restored, and unreadable or invisible characters removed."""
    if MOJIBAKE.search(body):
        body = " ".join(_undo_mojibake(word) for word in body.split(" "))
    kept = []
    for char in body.replace("\ufffd", " ").replace("\r\n", "\n"):
        category = unicodedata.category(char)
        if char == "\n" or category not in ("Cc", "Cs", "Co", "Cn", "Cf"):
            kept.append(char)
    return "".join(kept).strip()


def _undo_mojibake(word: str) -> str:
    try:
        return word.encode("cp1252").decode("utf-8")
    except UnicodeError:
        return word


def screen(body: str, media_count: int) -> Screened:
    """Decide what an SMS gets before the assistant reads it: photos, empty, unreadable, too long."""
    text = repaired(body)
    notices: list[str] = []
    if media_count:
        notices.append("media")
    if not text:
        return Screened(tuple(notices) or ("empty",), None)
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        return Screened((*notices, "unreadable"), None)
    if len(text) > MAX_INBOUND_CHARS:
        notices.append("too_long")
        text = text[:MAX_INBOUND_CHARS].rsplit(" ", 1)[0]
    return Screened(tuple(notices), text)


@dataclass(frozen=True)
class BotMessage:
    text: str
    choices: tuple[tuple[str, str], ...] = ()  # (title, payload) of each button
    urgent: bool = False  # an emergency answer: it reaches even a phone that opted out
    language: str = "fr"

    @classmethod
    def from_rasa(cls, message: Mapping[str, object]) -> BotMessage:
        """From the dict Rasa hands an output channel: text, buttons, and what bot/dialogue marked
        (`urgence` on an emergency answer, `langue`: the member's language)."""
        buttons = message.get("buttons") or message.get("quick_replies") or []
        choices = tuple(
            (str(b.get("title", "")), str(b.get("payload", b.get("title", ""))))
            for b in buttons  # type: ignore[attr-defined]
            if isinstance(b, Mapping)
        )
        language = "en" if message.get("langue") == "en" else "fr"
        return cls(str(message.get("text") or ""), choices, bool(message.get("urgence")), language)


@dataclass(frozen=True)
class SmsTurn:
    bodies: list[str]
    payloads: list[str] = field(default_factory=list)  # what "1", "2"... mean in the member's next reply


def write_turn(messages: Sequence[BotMessage], urgent_only: bool = False) -> SmsTurn:
    """A bot turn as SMS bodies; buttons become numbered choices (only the turn's last set is numbered)."""
    kept = [m for m in messages if m.urgent or not urgent_only]
    last_with_choices = max((i for i, m in enumerate(kept) if m.choices), default=-1)
    texts = []
    for i, message in enumerate(kept):
        titles = [title for title, _ in message.choices] if i == last_with_choices else []
        texts.append(with_choices(message.text, titles, message.language))
    payloads = [payload for _, payload in kept[last_with_choices].choices] if last_with_choices >= 0 else []
    return SmsTurn(pack([t for t in texts if t.strip()]), payloads)
