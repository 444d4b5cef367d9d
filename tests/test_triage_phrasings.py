"""Triage of hundreds of French phrasings through the trained model and the safety layer.

tests/data/triage_dev.csv (320 messages) and tests/data/triage_holdout.csv (240, other writers:
elderly, teenagers, caregivers, anglophones, farm injuries, long messages) are labelled sets written
apart from the rules and the training data; tests/data/triage_extra.csv holds regression phrasings
(English without apostrophes, idioms, named diagnoses); tests/data/triage_blind.csv (200, dictation,
Haitian Creole, fragments, formal letters) and tests/data/triage_blind2.csv (180, clinical terms,
French tourists, northern villages, mixed questions) were each scored blind once, then used to
widen the rules.
Every 911 and crise message must be caught;
the other bars are those of TRIAGE.md.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

import pytest

from bot.triage import Disposition
from bot.triage.metrics import score

ROOT = Path(__file__).resolve().parent.parent
SETS = [
    ROOT / "tests" / "data" / "triage_dev.csv",
    ROOT / "tests" / "data" / "triage_holdout.csv",
    ROOT / "tests" / "data" / "triage_extra.csv",
    ROOT / "tests" / "data" / "triage_blind.csv",
    ROOT / "tests" / "data" / "triage_blind2.csv",
    ROOT.parent / "shared" / "samples" / "triage_sample.csv",
]


def read(path: Path) -> list[tuple[str, Disposition]]:
    with path.open(encoding="utf-8") as f:
        return [(row["message"], Disposition.parse(row["expected"])) for row in csv.DictReader(f)]


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_triage_meets_every_bar(live_triage: Any, path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not found")
    cases = read(path)

    async def predict_all() -> list[Disposition]:
        return [Disposition.parse((await live_triage.triage(m))[0]) for m, _ in cases]

    predicted = asyncio.run(predict_all())
    missed_emergencies = [
        (m, e.value, p.value)
        for (m, e), p in zip(cases, predicted, strict=False)
        if e in (Disposition.NEUF_UN_UN, Disposition.CRISE) and p != e
    ]
    assert missed_emergencies == []
    scores = score([e for _, e in cases], predicted)
    assert scores.failures() == [], scores.report()


def test_the_dev_set_is_large_and_covers_every_disposition() -> None:
    cases = read(SETS[0])
    assert len(cases) >= 150
    assert {e for _, e in cases} == set(Disposition)
