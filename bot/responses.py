"""The bot's own texts (domain.yml responses), for processes that speak without Rasa (the console)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT


@cache
def responses(domain: Path = PROJECT_ROOT / "domain.yml") -> dict[str, str]:
    """The first text of every response, by name."""
    data = yaml.safe_load(domain.read_text(encoding="utf-8")) or {}
    return {name: str(variations[0].get("text") or "") for name, variations in (data.get("responses") or {}).items()}


def say(name: str, **values: str) -> str:
    return responses()[name].format_map(values)
