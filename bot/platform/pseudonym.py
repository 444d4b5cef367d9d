"""One way to name a person in Redis without holding their phone or member number in clear.

A keyed hash (HMAC-SHA256) with `PSEUDONYM_KEY`, a secret kept outside Redis (bot/platform/settings.py):
without the key, nobody holding a copy of Redis can hash every Quebec phone number to find whose
key is whose. Changing the key (or moving from the old unkeyed hashes) needs `python -m
ops.rekey_pseudonyms`.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from bot.platform.settings import load_settings


@cache
def _key() -> bytes:
    return load_settings().pseudonym_key.encode("utf-8")


def pseudonym(value: str, key: bytes | None = None) -> str:
    """A stable, non-reversible key part for a phone, a sender id or a member number."""
    return hmac.new(key if key is not None else _key(), value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def unkeyed_pseudonym(value: str) -> str:
    """The old, unkeyed hash (plain SHA-256): only the migration reads it."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
