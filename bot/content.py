"""Coop and self-care content, read from the YAML files that coop staff edit (content/)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class ContentError(ValueError):
    """A content file is malformed or an answer cannot be written for a coop."""


@dataclass(frozen=True)
class Coop:
    id: str
    values: Mapping[str, str]
    answers: Mapping[str, str]

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


@dataclass(frozen=True)
class Content:
    coops: Mapping[str, Coop]
    default_coop: str
    selfcare: Mapping[str, str]

    def coop(self, coop_id: str | None) -> Coop:
        """The given coop, or the default one when the id is unknown or missing."""
        return self.coops.get(coop_id or "", self.coops[self.default_coop])

    def coop_texted(self, number: str) -> Coop | None:
        """The coop that owns the texting number a member wrote to, if one does."""
        return next((c for c in self.coops.values() if number and c.sms_number == number), None)

    def coop_answer(self, topic: str, coop_id: str | None = None) -> str | None:
        """The answer about `topic` for a coop, with the coop's values filled in."""
        coop = self.coop(coop_id)
        template = coop.answers.get(topic)
        return template.format_map(coop.values) if template else None

    def selfcare_answer(self, topic: str) -> str | None:
        return self.selfcare.get(topic)


def load_content(content_dir: Path, default_coop: str | None = None) -> Content:
    """Load content/coops.yml and content/selfcare.yml, checking every answer renders."""
    coops_data = _read(content_dir / "coops.yml")
    selfcare_data = _read(content_dir / "selfcare.yml")
    shared_answers: dict[str, str] = dict(coops_data.get("answers") or {})
    coops: dict[str, Coop] = {}
    for coop_id, raw in (coops_data.get("coops") or {}).items():
        raw = dict(raw or {})
        own_answers = raw.pop("answers", None) or {}
        values = {str(k): str(v) for k, v in raw.items()}
        coops[str(coop_id)] = Coop(str(coop_id), values, {**shared_answers, **own_answers})
    default = default_coop or coops_data.get("default")
    if not coops or default not in coops:
        raise ContentError(f"coops.yml: default coop {default!r} is not among {sorted(coops)}")
    for coop in coops.values():
        for topic, template in coop.answers.items():
            try:
                template.format_map(coop.values)
            except (KeyError, ValueError) as exc:
                raise ContentError(f"coops.yml: answer {topic!r} for coop {coop.id!r}: missing {exc}") from exc
    selfcare = {str(k): str(v) for k, v in (selfcare_data.get("answers") or {}).items()}
    return Content(coops=coops, default_coop=str(default), selfcare=selfcare)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ContentError(f"{path}: expected a mapping")
    return data
