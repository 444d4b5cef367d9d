"""One way to name a person in Redis without holding their phone or member number in clear."""

from __future__ import annotations

import hashlib


def pseudonym(value: str) -> str:
    """A stable, non-reversible key part for a phone, a sender id or a member number."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
