"""The slot names code uses are exactly the slots `domain.yml` declares."""

from pathlib import Path

import yaml

from bot.dialogue.slots import Slot
from bot.platform.settings import PROJECT_ROOT


def test_slots_are_the_domains_both_ways() -> None:
    domain = yaml.safe_load(Path(PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert {str(slot) for slot in Slot} == set(domain["slots"])


def test_a_slot_is_its_name() -> None:
    slots: dict[str, int] = {Slot.HANDOFF: 1}
    assert slots["relais"] == 1 and f"{Slot.MEMBER}" == "membre" and str(Slot.COOP) == "coop"
