"""Finding a member's rows in the system of record, for erasure: the one rule every store uses.

Members are found by number, or by conversation: a phone (SMS), a phone call ("<phone>~<call sid>"),
or a web session id. A table whose rows name a member has `member_number` and `conversation`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy import text as sql
from sqlalchemy.sql.elements import TextClause

from bot.membership.verification import CALL_SEPARATOR

MEMBER_MATCH = (
    "((:member <> '' AND member_number = :member) OR conversation IN :conversations"
    " OR split_part(conversation, :separator, 1) IN :phones)"
)


def member_statement(text: str) -> TextClause:
    """A statement that uses MEMBER_MATCH, its lists bound as lists."""
    return sql(text).bindparams(bindparam("phones", expanding=True), bindparam("conversations", expanding=True))


def member_parameters(
    member_number: str | None, phones: Collection[str], conversations: Collection[str]
) -> dict[str, Any]:
    # An empty IN () is not SQL: a value no conversation has stands for "none".
    return {
        "member": (member_number or "").strip().upper(),
        "phones": tuple(p for p in phones if p) or ("",),
        "conversations": tuple(c for c in conversations if c) or ("",),
        "separator": CALL_SEPARATOR,
    }
