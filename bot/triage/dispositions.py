"""The six dispositions of TRIAGE.md and their order of urgency."""

from __future__ import annotations

from enum import Enum


class Disposition(str, Enum):
    """Where a message sends the member, most urgent first in TRIAGE.md."""

    NEUF_UN_UN = "911"
    CRISE = "crise"
    URGENCE = "urgence"
    CLINICIEN = "clinicien"
    CONSULTATION = "consultation"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Urgency for combining signals: higher wins. Clinicien outranks consultation."""
        return _RANK[self]

    @property
    def level(self) -> int:
        """Urgency level used for scoring: clinicien and consultation share one level."""
        return _LEVEL[self]

    @property
    def is_emergency(self) -> bool:
        """911, crise and urgence: emergency help is told before anything else, and cuts every queue."""
        return self in _EMERGENCIES

    @classmethod
    def parse(cls, value: str) -> Disposition:
        """Read a disposition code such as '911' or 'crise'."""
        try:
            return cls(value.strip().lower())
        except ValueError:
            raise ValueError(f"unknown disposition {value!r}") from None


_EMERGENCIES = frozenset({Disposition.NEUF_UN_UN, Disposition.CRISE, Disposition.URGENCE})
_RANK = {
    Disposition.INFO: 0,
    Disposition.CONSULTATION: 1,
    Disposition.CLINICIEN: 2,
    Disposition.URGENCE: 3,
    Disposition.CRISE: 4,
    Disposition.NEUF_UN_UN: 5,
}
_LEVEL = {
    Disposition.INFO: 0,
    Disposition.CONSULTATION: 1,
    Disposition.CLINICIEN: 1,
    Disposition.URGENCE: 2,
    Disposition.CRISE: 3,
    Disposition.NEUF_UN_UN: 4,
}


def is_emergency(code: str) -> bool:
    """Whether a disposition code as stored ("911", "crise"...) is an emergency; any other text is not."""
    try:
        return Disposition(code).is_emergency
    except ValueError:
        return False


def most_urgent(*dispositions: Disposition | None) -> Disposition:
    """The most urgent of the given dispositions; info when none is given."""
    present = [d for d in dispositions if d is not None]
    return max(present, key=lambda d: d.rank, default=Disposition.INFO)
