"""Importing today's Redis records into PostgreSQL (ops/import_redis_records.py), with Redis data
written by the code of the last commit that kept them in Redis (read from git), twice."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import types
from datetime import date
from pathlib import Path
from typing import Any

from bot.membership.consent import ConsentStore, load_notice
from bot.membership.members import Member
from bot.membership.store import MemberRegistry
from bot.platform.audit import AuditLog
from ops.import_redis_records import import_all

ROOT = Path(__file__).resolve().parents[2]
REDIS_ERA = "18b6f8b"  # the last commit with members, consent and audit in Redis
PHONE = "+18195550101"
GISELE = Member("VM-000101", "Gisèle", "Tremblay", date(1948, 3, 12), PHONE, "Coop", "actif", date(2027, 1, 31))
REJEAN = Member("VM-000102", "Réjean", "Tremblay", date(1946, 11, 2), PHONE, "Coop", "actif", None)
# Modules the Redis-era code imports, and where they are now.
MOVED = {"bot.members": "bot.membership.members", "bot.pseudonym": "bot.platform.pseudonym"}


def redis_era(module: str) -> types.ModuleType:
    """`bot/<module>.py` as it was when Redis held these records."""
    source = subprocess.run(
        ["git", "show", f"{REDIS_ERA}:bot/{module}.py"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for old, new in MOVED.items():
        source = source.replace(f"from {old} import", f"from {new} import")
    spec = importlib.util.spec_from_loader(f"redis_era_{module}", loader=None)
    assert spec is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded  # dataclasses look their module up there
    exec(compile(source, f"{REDIS_ERA}:bot/{module}.py", "exec"), loaded.__dict__)
    return loaded


def written_by_the_redis_era(redis: Any) -> None:
    notice = load_notice(ROOT / "content")
    redis_era("member_store").MemberRegistry(redis).upsert([GISELE, REJEAN])
    consents = redis_era("consent").ConsentStore(redis)
    consents.record(PHONE, notice, "sms", accepted=True)
    consents.record("web-1", notice, "web", accepted=False)
    old_audit = redis_era("audit").AuditLog(redis)
    old_audit.record("verification_sms", "reussie", PHONE, GISELE.number)
    old_audit.access("inf@coop.example", "consultation", "T-1", "")
    old_audit.access("inf@coop.example", "prise", "T-1", "ok")


def test_the_import_brings_members_consent_and_audit_and_twice_adds_nothing(redis_client: Any, database: Any) -> None:
    written_by_the_redis_era(redis_client)
    first = import_all(redis_client, database)
    assert first["membres"].startswith("2 ajoutés")
    assert first["consentements"] == "2 ajoutés" and first["journal"] == "3 ajoutées"
    again = import_all(redis_client, database)
    assert again["membres"] == "0 ajoutés, 0 mis à jour, 2 inchangés"
    assert again["consentements"] == "0 ajoutés" and again["journal"] == "0 ajoutées"

    registry = MemberRegistry(database)
    assert registry.get("VM-000101") == GISELE and [m.number for m in registry.by_phone(PHONE)] == [
        "VM-000101",
        "VM-000102",
    ]
    notice = load_notice(ROOT / "content")
    consents = ConsentStore(database)
    assert consents.current(PHONE, notice) and not consents.current("web-1", notice)
    assert consents.entry("web-1")["reponse"] == "non"
    log = AuditLog(database)
    assert [(e["action"], e["detail"]) for e in log.entries()] == [("prise", "ok"), ("consultation", "")]
    security = log.entries("security")
    assert security[0]["outcome"] == "reussie" and len(security[0]["subjects"].split(",")) == 2
    assert "VM-000101" not in str(security) and PHONE not in str(security)


def test_the_command(redis_url: str, redis_client: Any, database_url: str, database: Any) -> None:
    written_by_the_redis_era(redis_client)
    env = {"REDIS_URL": redis_url, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = [sys.executable, "-m", "ops.import_redis_records"]
    first = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "membres: 2 ajoutés" in first.stdout and "journal: 3 ajoutées" in first.stdout
    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert "journal: 0 ajoutées" in again.stdout
    assert MemberRegistry(database).count() == 2
