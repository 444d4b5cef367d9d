"""Where a conversation lives in Redis (components/stores.py writes it; erasure deletes it)."""

from __future__ import annotations

# Rasa's tracker key prefix with our "coopsante" prefix: the conversation's events (a list).
TRACKER_PREFIX = "coopsante:tracker:"
# Beside it, a hash: event count, session start, recent member messages, slot values.
STATE_PREFIX = "coopsante:tracker_etat:"


def tracker_keys(sender_id: str) -> list[str]:
    """Every Redis key of one conversation."""
    return [TRACKER_PREFIX + sender_id, STATE_PREFIX + sender_id]
