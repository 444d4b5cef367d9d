"""The README's "What is where" matches the tree: every folder of the project is in it, and every
path it names exists (a newcomer finds the room for a change from the README alone)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _rows() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## What is where", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`"):
            rows.append((cells[0], cells[1]))
    return rows


def _tracked_folders() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {f.split("/", 1)[0] + "/" for f in files.splitlines() if "/" in f and not f.startswith(".")}


def test_every_folder_of_the_project_is_in_what_is_where() -> None:
    named = {token for first, _ in _rows() for token in re.findall(r"`([^`]+)`", first)}
    assert _tracked_folders() - named == set(), "folders missing from the README's What is where"


def test_every_path_what_is_where_names_exists() -> None:
    missing = []
    for first, holds in _rows():
        places = re.findall(r"`([^`]+)`", first)
        for place in places:
            if not (ROOT / place).exists():
                missing.append(place)
        folder = ROOT / places[0] if places and places[0].endswith("/") else ROOT
        for token in re.findall(r"`([\w./-]+\.py|[\w-]+/)`", holds):
            if "*" in token or token.startswith(("../", "docs/")):
                continue
            if not ((folder / token).exists() or (ROOT / token).exists() or (ROOT / "tests" / token).exists()):
                missing.append(f"{places[0] if places else '?'} {token}")
    assert missing == [], f"named in the README's What is where, not in the tree: {missing}"
