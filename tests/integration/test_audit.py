"""The audit trail in PostgreSQL: append-only, two kinds apart, paged, pseudonymised, kept by age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.platform.audit import AuditLog


def test_security_and_access_events_are_apart_newest_first(database: Any) -> None:
    log = AuditLog(database)
    log.record("verification_sms", "echec", "+18195550101", "VM-000101")
    log.access("inf@coop.example", "consultation", "T-1", coop="val-morin")
    log.access("inf@coop.example", "prise", "T-1", "ok", coop="val-morin")
    log.record("verification_sms", "reussie", "+18195550101")
    security = log.entries("security")
    assert [e["outcome"] for e in security] == ["reussie", "echec"]
    assert set(security[0]) == {"id", "at", "event", "outcome", "subjects"}
    access = log.entries()
    assert [e["action"] for e in access] == ["prise", "consultation"]
    assert set(access[0]) == {"id", "at", "actor", "action", "ticket", "detail", "coop"}
    assert access[0]["detail"] == "ok" and access[0]["coop"] == "val-morin"
    assert datetime.fromisoformat(access[0]["at"]).tzinfo is not None
    with pytest.raises(ValueError):
        log.entries("everything")


def test_subjects_are_pseudonymised(database: Any) -> None:
    AuditLog(database).record("verification_web", "echec", "web-abc", "VM-000101", "+18195550101")
    with database.connect() as connection:
        dump = str(connection.execute(text("SELECT * FROM audit")).all())
    assert "VM-000101" not in dump and "5550101" not in dump and "web-abc" not in dump
    assert len(AuditLog(database).entries("security")[0]["subjects"].split(",")) == 3


def test_filters_and_paging(database: Any) -> None:
    log = AuditLog(database)
    for n in range(7):
        log.access(f"inf{n % 2}@coop.example", "consultation", f"T-{n}", coop="a" if n < 5 else "b")
    first = log.entries(limit=3)
    second = log.entries(limit=3, before=first[-1]["id"])
    assert [e["ticket"] for e in first + second] == ["T-6", "T-5", "T-4", "T-3", "T-2", "T-1"]
    assert [e["ticket"] for e in log.entries(coop="b")] == ["T-6", "T-5"]
    assert [e["ticket"] for e in log.entries(actor="inf1@coop.example")] == ["T-5", "T-3", "T-1"]
    assert [e["ticket"] for e in log.entries(ticket="T-2")] == ["T-2"]
    assert log.entries(before="not-an-id") == []
    assert log.entries("security") == []


def test_no_count_cap(database: Any) -> None:
    log = AuditLog(database)
    for n in range(120):
        log.access("inf@coop.example", "consultation", f"T-{n}")
    assert len(log.entries(limit=1000)) == 120


def test_the_trail_refuses_update_and_delete(database: Any) -> None:
    AuditLog(database).access("inf@coop.example", "consultation", "T-1")
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"), database.begin() as connection:
            connection.execute(text(statement))
    assert AuditLog(database).entries()[0]["actor"] == "inf@coop.example"


def test_the_purge_removes_only_entries_past_the_retention(database: Any) -> None:
    log = AuditLog(database, retention_days=365)
    now = datetime.now(UTC)
    with database.begin() as connection:
        for days in (400, 366, 10):
            connection.execute(
                text("INSERT INTO audit (kind, actor, at) VALUES ('access', :actor, :at)"),
                {"actor": f"{days}d", "at": now - timedelta(days=days)},
            )
    assert log.purge_expired(now) == 2
    assert [e["actor"] for e in log.entries()] == ["10d"]
    # The purge's permission ends with its transaction: a later DELETE is refused again.
    with pytest.raises(DBAPIError, match="append-only"), database.begin() as connection:
        connection.execute(text("DELETE FROM audit"))
    # And it covers only entries older than its cutoff, even within the purge's transaction.
    with pytest.raises(DBAPIError, match="append-only"), database.begin() as connection:
        cutoff = (now - timedelta(days=365)).isoformat()
        connection.execute(text("SELECT set_config('coopsante.audit_purge_before', :c, true)"), {"c": cutoff})
        connection.execute(text("DELETE FROM audit"))
