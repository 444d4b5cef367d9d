"""Shared fixtures: project paths, the loaded rules and content, and the trained model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.content import Content, load_content
from bot.triage import Triage, load_triage

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "coop-sante.tar.gz"
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


@pytest.fixture(scope="session")
def triage() -> Triage:
    return load_triage(ROOT / "safety")


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(ROOT / "content")


@pytest.fixture(scope="session")
def live_triage() -> Iterator[object]:
    """The trained model with the safety layer, as a live conversation uses them."""
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (make test does it first)")
    from tools.live_triage import LiveTriage

    yield LiveTriage(MODEL)
