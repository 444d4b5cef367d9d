"""Consent before any identity or health detail: the notice (content/consent.yml) and the record.

The record keeps what Law 25 asks a coop to be able to show: which text, when, on which channel,
and the answer. It is keyed by a hash of the sender, so Redis holds no phone number in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.pseudonym import pseudonym

KEY = "coopsante:consentement:{}"


@dataclass(frozen=True)
class ConsentNotice:
    version: str
    notice: dict[str, str]  # language -> the notice and its question
    declined: dict[str, str]  # language -> what the bot can still do after a no

    def text(self, language: str) -> str:
        return self.notice.get(language) or self.notice["fr"]

    def declined_text(self, language: str) -> str:
        return self.declined.get(language) or self.declined["fr"]


def load_notice(content_dir: Path) -> ConsentNotice:
    data = yaml.safe_load((content_dir / "consent.yml").read_text(encoding="utf-8"))

    def bilingual(raw: Any) -> dict[str, str]:
        if isinstance(raw, str):
            return {"fr": raw.strip()}
        return {str(k): str(v).strip() for k, v in raw.items()}

    notice = ConsentNotice(str(data["version"]), bilingual(data["notice"]), bilingual(data["declined"]))
    if "fr" not in notice.notice or "fr" not in notice.declined:
        raise ValueError("consent.yml: the notice and the answer to a no need French text (fr:)")
    return notice


def consent_key(sender: str) -> str:
    return KEY.format(pseudonym(sender))


@dataclass(frozen=True)
class ConsentStore:
    redis: Any

    def record(self, sender: str, notice: ConsentNotice, channel: str, accepted: bool) -> dict[str, str]:
        entry = {
            "version": notice.version,
            "canal": channel,
            "reponse": "oui" if accepted else "non",
            "horodatage": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.redis.hset(consent_key(sender), mapping=entry)
        return entry

    def entry(self, sender: str) -> dict[str, str]:
        """The recorded consent of this sender (empty when none)."""
        return dict(self.redis.hgetall(consent_key(sender)))

    def current(self, sender: str, notice: ConsentNotice) -> bool:
        """Whether this sender accepted the current version of the notice."""
        entry = self.entry(sender)
        return bool(entry) and entry.get("reponse") == "oui" and entry.get("version") == notice.version

    def withdraw(self, sender: str) -> None:
        self.redis.delete(consent_key(sender))
