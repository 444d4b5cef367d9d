"""The conversation's slots, as `domain.yml` names them (tests/unit/test_slots.py holds both to one set).

The names are French because the domain's are; code refers to them only through `Slot`.
"""

from __future__ import annotations

from enum import StrEnum


class Slot(StrEnum):
    """Every slot of `domain.yml`; each member is the slot's name (a `str`)."""

    TRIAGE_DISPOSITION = "triage_disposition"  # the request's disposition, written by the triage policy
    TRIAGE_REASON = "triage_raison"  # why: finding ids and numbers, never the text
    TRIAGE_EPISODE = "triage_episode"  # the findings of each message of the current request
    DIALOGUE = "dialogue"  # bot/dialogue's state (bot/dialogue/model.py `State`)
    COOP = "coop"  # the coop whose content answers the conversation
    MEMBER = "membre"  # the verified member's number
    HANDOFF = "relais"  # the open handoff ticket
