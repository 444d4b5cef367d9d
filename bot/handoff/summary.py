"""What the bot notes for the clinician before a handoff or a consultation."""

from __future__ import annotations

from bot.platform.text import normalise

FOR_WHOM = ("moi", "enfant", "autre")

_CHOICE_WORDS = {
    "moi": {"1", "moi", "me", "myself", "je", "mwa", "moe"},
    "enfant": {
        "2",
        "enfant",
        "enfants",
        "bebe",
        "fils",
        "fille",
        "gars",
        "garcon",
        "child",
        "kid",
        "baby",
        "son",
        "daughter",
        "petit",
        "petite",
    },
    "autre": {
        "3",
        "autre",
        "mere",
        "pere",
        "mari",
        "femme",
        "chum",
        "blonde",
        "conjoint",
        "conjointe",
        "ami",
        "amie",
        "voisin",
        "voisine",
        "someone",
        "other",
    },
}


def parse_for_whom(answer: str) -> str:
    """Map "pour moi", "1", "mon fils", "ma mère"... to moi, enfant or autre (autre if unsure)."""
    words = set(normalise(answer).split())
    for choice in FOR_WHOM:
        if words & _CHOICE_WORDS[choice]:
            return choice
    return "autre"
