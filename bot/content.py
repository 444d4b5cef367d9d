"""What the bot says, read from the files coop staff edit (content/): coops, answers, texts.

- `coops.yml`: each coop's values (name, phone, hours...); a value in English sits beside the French one
  under the same key ending in `_en` (`heures`, `heures_en`).
- `answers/*.yml`: the answers the bot gives by itself (coop questions, minor self-care), each with a
  label, example questions and the answer in French and English. A coop can override any answer.
- `texts.yml`: every other sentence a member sees (triage replies, forms, booking, handoff...).

Everything is checked when loaded: each answer and text renders for every coop in both languages,
fits the SMS length the project allows, and uses only placeholders the code fills in.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.platform.language import ENGLISH, FRENCH, LANGUAGES

MAX_SMS_SEGMENTS = 3
# The placeholders the assistant fills in itself; any other {name} in a text is a value of the coop.
CALL_VALUES = frozenset(
    {"code", "prenom", "jours", "date", "modalite", "clinicien", "rejoindre", "rdv", "delai", "lien", "constats",
     "numero", "membre_nom", "naissance", "fin_telephone", "statut", "consentement", "reponse", "version",
     "numeros", "limite", "conversations", "demandes"}
)  # fmt: skip


class ContentError(ValueError):
    """A content file is malformed or a text cannot be written for a coop."""


@dataclass(frozen=True)
class Coop:
    id: str
    values: Mapping[str, str]
    answers: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # topic -> lang -> own text

    @property
    def name(self) -> str:
        return self.values.get("nom", self.id)

    @property
    def phone(self) -> str:
        return self.values.get("telephone", "")

    @property
    def sms_number(self) -> str:
        """The coop's own texting number (E.164), or "" when its members text the federation's number."""
        return self.values.get("sms", "")

    def in_language(self, language: str) -> dict[str, str]:
        """The coop's values for one language: `heures_en` stands for `heures` in English."""
        values = {k: v for k, v in self.values.items() if not k.endswith("_en")}
        if language == ENGLISH:
            values.update({k[:-3]: v for k, v in self.values.items() if k.endswith("_en")})
        return values


@dataclass(frozen=True)
class Answer:
    """One answer the bot gives by itself, and how members ask for it."""

    topic: str
    kind: str  # "coop" or "soins" (self-care)
    label: Mapping[str, str]
    questions: Mapping[str, tuple[str, ...]]
    text: Mapping[str, str]


@dataclass(frozen=True)
class Content:
    coops: Mapping[str, Coop]
    default_coop: str
    answers: Mapping[str, Answer] = field(default_factory=dict)
    texts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # key -> lang -> template

    def coop(self, coop_id: str | None) -> Coop:
        """The given coop, or the default one when the id is unknown or missing."""
        return self.coops.get(coop_id or "", self.coops[self.default_coop])

    def coop_texted(self, number: str) -> Coop | None:
        """The coop that owns the texting number a member wrote to, if one does."""
        return next((c for c in self.coops.values() if number and c.sms_number == number), None)

    def say(self, key: str, language: str = FRENCH, coop_id: str | None = None, **values: Any) -> str:
        """A text of texts.yml, in the member's language, written for their coop."""
        templates = self.texts.get(key)
        if templates is None:
            raise KeyError(f"content: no text {key!r} in texts.yml")
        template = templates.get(language) or templates[FRENCH]
        coop = self.coop(coop_id)
        return template.format_map({**coop.in_language(language), **{k: str(v) for k, v in values.items()}})

    def answer(self, topic: str, language: str = FRENCH, coop_id: str | None = None) -> str | None:
        """The answer about `topic` for a coop, in the member's language; None when there is none."""
        entry = self.answers.get(topic)
        if entry is None:
            return None
        coop = self.coop(coop_id)
        own = coop.answers.get(topic) or {}
        template = own.get(language) or entry.text.get(language) or own.get(FRENCH) or entry.text[FRENCH]
        return template.format_map(coop.in_language(language))

    def label(self, topic: str, language: str = FRENCH) -> str:
        entry = self.answers[topic]
        return entry.label.get(language) or entry.label[FRENCH]

    # The old single-language API, kept for the modules that speak French only (console, SMS notices).
    def coop_answer(self, topic: str, coop_id: str | None = None) -> str | None:
        return self.answer(topic, FRENCH, coop_id)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping")
    return data


def _bilingual(raw: Any, where: str) -> dict[str, str]:
    """{fr: ..., en: ...}; a plain string is French only (English then falls back to it)."""
    if isinstance(raw, str):
        return {FRENCH: raw.strip()}
    if not isinstance(raw, dict) or not raw.get(FRENCH):
        raise ContentError(f"{where}: expected French text (fr:) and, better, English (en:)")
    unknown = set(raw) - set(LANGUAGES)
    if unknown:
        raise ContentError(f"{where}: unknown languages {sorted(unknown)}")
    return {str(k): str(v).strip() for k, v in raw.items() if v}


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, dict[str, str]]:
    """Nested sections of texts.yml as dotted keys: triage: {911: {fr, en}} -> "triage.911"."""
    out: dict[str, dict[str, str]] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and (FRENCH in value or ENGLISH in value):
            out[name] = _bilingual(value, f"texts.yml: {name}")
        elif isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = _bilingual(value, f"texts.yml: {name}")
    return out


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def load_content(
    content_dir: Path, default_coop: str | None = None, call_values: Iterable[str] = CALL_VALUES
) -> Content:
    """Load and check content/: coops, answers and texts.

    `call_values` names the placeholders the code fills in itself ({prenom}, {date}...); any other
    placeholder must be a value of every coop.
    """
    coops_data = _read(content_dir / "coops.yml")
    coops: dict[str, Coop] = {}
    for coop_id, raw in (coops_data.get("coops") or {}).items():
        raw = dict(raw or {})
        own = {
            str(topic): _bilingual(text, f"coops.yml: {coop_id}.answers.{topic}")
            for topic, text in (raw.pop("answers", None) or {}).items()
        }
        coops[str(coop_id)] = Coop(str(coop_id), {str(k): str(v).strip() for k, v in raw.items()}, own)
    default = default_coop or coops_data.get("default")
    if not coops or default not in coops:
        raise ContentError(f"coops.yml: default coop {default!r} is not among {sorted(coops)}")

    answers: dict[str, Answer] = {}
    for path in sorted((content_dir / "answers").glob("*.yml")):
        for topic, raw in (_read(path).get("answers") or {}).items():
            where = f"{path.name}: {topic}"
            if topic in answers:
                raise ContentError(f"{where}: topic defined twice")
            if not isinstance(raw, dict):
                raise ContentError(f"{where}: expected label, questions and answer")
            questions = raw.get("questions") or {}
            answers[str(topic)] = Answer(
                topic=str(topic),
                kind=str(raw.get("kind") or path.stem),
                label=_bilingual(raw.get("label"), f"{where}: label"),
                questions={lang: tuple(str(q) for q in (questions.get(lang) or [])) for lang in LANGUAGES},
                text=_bilingual(raw.get("answer"), f"{where}: answer"),
            )
            if not answers[str(topic)].questions[FRENCH]:
                raise ContentError(f"{where}: give a few example questions (questions: fr: [...])")
    texts = _flatten(_read(content_dir / "texts.yml")) if (content_dir / "texts.yml").exists() else {}
    content = Content(coops=coops, default_coop=str(default), answers=answers, texts=texts)
    _check(content, set(call_values))
    return content


def _check(content: Content, call_values: set[str]) -> None:
    """Every answer and text renders for every coop, in both languages, and fits in SMS."""
    from bot.platform.sms_text import plain, segment_count

    sample = {name: "x" * 12 for name in call_values}
    for coop in content.coops.values():
        for topic in content.answers:
            for lang in LANGUAGES:
                try:
                    text = content.answer(topic, lang, coop.id) or ""
                except (KeyError, ValueError) as exc:
                    raise ContentError(f"answer {topic!r} ({lang}) for coop {coop.id!r}: missing {exc}") from exc
                if segment_count(plain(text)) > MAX_SMS_SEGMENTS:
                    raise ContentError(f"answer {topic!r} ({lang}) for coop {coop.id!r} is longer than 3 SMS")
        for key, templates in content.texts.items():
            for lang, template in templates.items():
                unknown = placeholders(template) - set(coop.in_language(lang)) - call_values
                if unknown:
                    raise ContentError(f"text {key!r} ({lang}) for coop {coop.id!r}: unknown {sorted(unknown)}")
                try:
                    text = content.say(key, lang, coop.id, **sample)
                except (KeyError, ValueError) as exc:
                    raise ContentError(f"text {key!r} ({lang}) for coop {coop.id!r}: {exc}") from exc
                if segment_count(plain(text)) > MAX_SMS_SEGMENTS:
                    raise ContentError(f"text {key!r} ({lang}) for coop {coop.id!r} is longer than 3 SMS")
