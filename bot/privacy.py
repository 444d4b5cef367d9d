"""Data rights (Law 25): what the bot holds about a member, and erasing it.

Erasing a conversation cannot be done from inside the conversation (Rasa saves the tracker once
the turn ends), so the action leaves a short-lived marker and the tracker store deletes the
conversation instead of saving it (components/stores.py). The coop's member record and the
audit trail are kept: the first is the coop's own file, the second the law requires.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.members import Member
from bot.pseudonym import pseudonym

ERASE_KEY = "coopsante:effacer:{}"
ERASE_MARKER_SECONDS = 300


def _erase_key(sender_id: str) -> str:
    return ERASE_KEY.format(pseudonym(sender_id))


def request_erasure(redis: Any, sender_id: str) -> None:
    redis.set(_erase_key(sender_id), "1", ex=ERASE_MARKER_SECONDS)


def take_erasure_request(redis: Any, sender_id: str) -> bool:
    """Whether this conversation must be erased now (the marker is used up)."""
    return bool(redis.delete(_erase_key(sender_id)))


def data_summary(member: Member, consent: dict[str, str], retention_days: float, say: Callable[..., str]) -> str:
    """A short summary of what the assistant holds about a verified member, in their language."""
    consent_line = (
        say(
            "donnees.consentement",
            reponse=consent.get("reponse", "?"),
            date=consent.get("horodatage", "?")[:10],
            version=consent.get("version", "?"),
        )  # fmt: skip
        if consent
        else say("donnees.sans_consentement")
    )
    return say(
        "donnees.resume",
        numero=member.number,
        membre_nom=f"{member.first_name} {member.last_name}",
        naissance=member.birth_date.isoformat(),
        fin_telephone=member.phone[-2:],
        statut=member.status,
        consentement=consent_line,
        jours=f"{retention_days:g}",
    )
