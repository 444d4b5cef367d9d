"""The audit trail (real Redis): two streams, trimmed by age only, read page by page with filters."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.audit import ACCESS_STREAM, SECURITY_STREAM, AuditLog, retention_days_from_env


def test_security_and_access_events_go_to_separate_streams(redis_client: Any) -> None:
    audit = AuditLog(redis_client)
    audit.record("verification_sms", "echec", "+18195550101")
    audit.access("marie@coop.example", "consultation", "T1", coop="val-morin")
    assert redis_client.xlen(SECURITY_STREAM) == 1 and redis_client.xlen(ACCESS_STREAM) == 1
    (security,) = audit.entries("security")
    assert security["resultat"] == "echec" and "5550101" not in str(security)
    (access,) = audit.entries()  # access is the default kind
    assert access["acteur"] == "marie@coop.example" and access["coop"] == "val-morin"
    assert audit.entries("security", actor="+18195550101") == [security]  # subjects compared hashed
    with pytest.raises(ValueError):
        audit.entries("autre")


def test_a_flood_of_security_events_does_not_bury_accesses(redis_client: Any) -> None:
    audit = AuditLog(redis_client)
    audit.access("marie@coop.example", "consultation", "T1", coop="val-morin")
    pipe_size = 3_000
    for index in range(pipe_size):
        audit.record("console.connexion", "echec", f"inconnu{index}@example.com")
    assert redis_client.xlen(SECURITY_STREAM) == pipe_size  # no count cap drops anything
    assert [e["ticket"] for e in audit.entries()] == ["T1"]


def test_entries_are_trimmed_by_age_only(redis_client: Any) -> None:
    audit = AuditLog(redis_client, retention_days=30)
    old_ms = int((time.time() - 40 * 86400) * 1000)
    recent_ms = int((time.time() - 20 * 86400) * 1000)
    redis_client.xadd(ACCESS_STREAM, {"evenement": "console.vieux"}, id=f"{old_ms}-0")
    redis_client.xadd(ACCESS_STREAM, {"evenement": "console.recent"}, id=f"{recent_ms}-0")
    for _ in range(200):
        audit.access("marie@coop.example", "consultation", "T1", coop="val-morin")
    events = [e["evenement"] for e in audit.entries(limit=1000)]
    assert "console.vieux" not in events and "console.recent" in events and len(events) == 201


def test_the_retention_has_a_sane_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDIT_RETENTION_DAYS", raising=False)
    assert retention_days_from_env() == 365
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "730")
    assert retention_days_from_env() == 730
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "n'importe quoi")
    assert retention_days_from_env() == 365


def test_entries_page_and_filter(redis_client: Any) -> None:
    audit = AuditLog(redis_client)
    for index in range(1200):  # more than one internal batch
        coop = "val-morin" if index % 3 else "hautes-laurentides"
        audit.access(f"c{index % 4}@coop.example", "consultation", f"T{index % 10}", coop=coop)
    first = audit.entries(limit=50)
    second = audit.entries(before=first[-1]["id"], limit=50)
    assert len(first) == len(second) == 50 and first[-1]["id"] > second[0]["id"]
    assert not {e["id"] for e in first} & {e["id"] for e in second}
    hl = audit.entries(coop="hautes-laurentides", limit=1000)
    assert len(hl) == 400 and {e["coop"] for e in hl} == {"hautes-laurentides"}
    both = audit.entries(actor="c1@coop.example", ticket="T1", limit=1000)
    assert both and {(e["acteur"], e["ticket"]) for e in both} == {("c1@coop.example", "T1")}
    assert len(audit.entries(actor="c1@coop.example", ticket="T2", limit=1000)) == 0  # c1 never sees T2
    with pytest.raises(ValueError):
        audit.entries(before="pas un id")
