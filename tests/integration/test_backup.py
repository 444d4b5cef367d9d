"""Backup and restore of the system of record (docs/backup.md): pg_dump -Fc, then pg_restore into
an empty database, on the tests' PostgreSQL server; the records come back, the trail still guarded."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.membership.consent import ConsentStore, load_notice
from bot.membership.members import Member
from bot.membership.store import MemberRegistry
from bot.platform.audit import AuditLog
from bot.records.database import engine_for, migrate
from tests.conftest import new_database
from tools.postgres_local import binary

ROOT = Path(__file__).resolve().parents[2]
GISELE = Member("VM-000101", "Gisèle", "Tremblay", date(1948, 3, 12), "+18195550101", "Coop", "actif", None)


def test_a_dump_restores_into_an_empty_database(database_url: str, tmp_path: Path) -> None:
    source_url = new_database(database_url, "backup_source")
    migrate(source_url)
    source = engine_for(source_url)
    notice = load_notice(ROOT / "content")
    MemberRegistry(source).upsert([GISELE])
    ConsentStore(source).record("+18195550101", notice, "sms", accepted=True)
    AuditLog(source).access("inf@coop.example", "consultation", "T-1", coop="val-morin")
    source.dispose()

    dump = tmp_path / "coopsante.dump"
    subprocess.run([binary("pg_dump"), "-Fc", "-d", source_url, "-f", str(dump)], check=True, timeout=120)
    restored_url = new_database(database_url, "backup_restored")
    subprocess.run(
        [binary("pg_restore"), "--no-owner", "--exit-on-error", "-d", restored_url, str(dump)], check=True, timeout=120
    )

    restored = engine_for(restored_url)
    assert MemberRegistry(restored).get("VM-000101") == GISELE
    assert ConsentStore(restored).current("+18195550101", notice)
    assert AuditLog(restored).entries()[0]["ticket"] == "T-1"
    with pytest.raises(DBAPIError, match="append-only"), restored.begin() as connection:
        connection.execute(text("DELETE FROM audit"))
    migrate(restored_url)  # the restored schema is at the newest migration already: nothing to do
    AuditLog(restored).access("inf@coop.example", "consultation", "T-2")  # identities go on
    assert [e["ticket"] for e in AuditLog(restored).entries()] == ["T-2", "T-1"]
    restored.dispose()
