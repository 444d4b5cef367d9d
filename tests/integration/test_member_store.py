"""The registry against a real PostgreSQL server, and the import command."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

from bot.membership.demo import CALLER, demo_registry_csv
from bot.membership.members import HEADER, Member, parse_registry
from bot.membership.store import MemberRegistry
from bot.membership.verification import eligibility

ROOT = Path(__file__).resolve().parents[2]
HEAD = ",".join(HEADER) + "\n"


def member(number: str, phone: str = "+18195550101", status: str = "actif") -> Member:
    return Member(number, "Ana", "Roy", date(1956, 3, 12), phone, "Coop", status, None)


def test_upsert_is_idempotent(database: Any) -> None:
    registry = MemberRegistry(database)
    first = registry.upsert([member("A-1"), member("A-2")])
    again = registry.upsert([member("A-1"), member("A-2")])
    assert (first.created, again.created, again.unchanged) == (2, 0, 2)
    assert registry.count() == 2


def test_a_family_shares_a_phone(database: Any) -> None:
    registry = MemberRegistry(database)
    registry.upsert([member("A-1"), member("A-2"), member("B-1", phone="+18195550199")])
    assert [m.number for m in registry.by_phone("+18195550101")] == ["A-1", "A-2"]
    assert registry.by_phone("+18195550000") == []


def test_a_new_phone_moves_the_member(database: Any) -> None:
    registry = MemberRegistry(database)
    registry.upsert([member("A-1")])
    report = registry.upsert([member("A-1", phone="+18195550199", status="expire")])
    assert report.updated == 1
    assert registry.by_phone("+18195550101") == []
    found = registry.get("a-1")
    assert found is not None and found.status == "expire"


def run_import(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.import_members", *args],
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_import_command(database_url: str, database: Any, tmp_path: Path) -> None:
    good = tmp_path / "ok.csv"
    good.write_text(HEAD + "A-1,Ana,Roy,1956-03-12,819-555-0101,Coop,actif,\nA-2,Bo,Roy,1950-01-01,bad,Coop,actif,\n")
    result = run_import(database_url, str(good))
    assert result.returncode == 1  # a row was set aside
    assert "ligne 3: telephone" in result.stdout and "1 ajoutés" in result.stdout
    assert MemberRegistry(database).count() == 1


def test_a_fatal_file_changes_nothing(database_url: str, database: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(HEAD + "A-1,Ana,Roy,1956-03-12,819-555-0101,Coop,actif,\n" * 2)
    result = run_import(database_url, str(bad))
    assert result.returncode == 2 and "Rien n'a été importé" in result.stdout
    assert MemberRegistry(database).count() == 0


def test_demo_registry_loads_once(database_url: str, database: Any) -> None:
    assert run_import(database_url, "--demo-if-empty").returncode == 0
    registry = MemberRegistry(database)
    loaded = registry.count()
    assert loaded >= 200
    assert run_import(database_url, "--demo-if-empty").stdout == ""  # not empty any more: untouched
    assert registry.count() == loaded


def test_demo_registry_shape() -> None:
    parsed = parse_registry(demo_registry_csv())
    assert parsed.fatal == [] and parsed.row_errors == []
    phones = [m.phone for m in parsed.members]
    assert len(parsed.members) >= 200
    assert len(set(phones)) < len(phones)  # families share a phone
    assert all(p[5:8] == "555" for p in phones)  # +1 AAA 555 01XX: fictional numbers
    assert {m.status for m in parsed.members} == {"actif", "expire", "suspendu"}


def test_the_demo_caller_of_the_phone_line_follows_the_seeded_members_alone_on_her_phone() -> None:
    members = parse_registry(demo_registry_csv()).members
    seeded, caller = members[:-1], members[-1]
    assert (caller.number, caller.first_name, caller.last_name) == ("VM-001956", "Rolande", "Vézina")
    assert caller.birth_date == date(1956, 3, 12) and caller.phone == "+18195550156"
    assert caller.coop == "Coopérative de solidarité santé Val-Morin" and eligibility(caller) == "ok"
    assert all(m.phone != caller.phone and m.birth_date != caller.birth_date for m in seeded)
    assert (len(seeded), len({m.phone for m in seeded})) == (275, 110)  # the seeded registry, unchanged
    assert demo_registry_csv().decode().splitlines()[-1] == ",".join(CALLER)


def test_unreachable_database_is_reported_clearly(tmp_path: Path) -> None:
    result = run_import("postgresql://coopsante@127.0.0.1:1/coopsante", "--demo-if-empty")
    assert result.returncode != 0 and "PostgreSQL ne répond pas" in result.stderr


def test_the_registry_is_in_postgresql_and_no_longer_in_redis(database: Any, redis_client: Any) -> None:
    """Issue 16: the member registry is a system of record (PostgreSQL), not Redis."""
    MemberRegistry(database).upsert([member("A-1"), member("A-2", phone="+18195550199")])
    assert redis_client.keys("*") == []
    with database.connect() as connection:
        rows = connection.exec_driver_sql("SELECT number, phone FROM members ORDER BY number").all()
    assert [tuple(r) for r in rows] == [("A-1", "+18195550101"), ("A-2", "+18195550199")]
