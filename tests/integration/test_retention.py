"""Every record has a retention: each Redis key family the code writes has a rule (a TTL, erasure
with the member, or a stated reason to keep it), the expiring ones do get a TTL, and the system of
record's stores purge by age (bot/records/retention.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.membership.consent import ConsentStore, load_notice
from bot.platform.audit import AuditLog
from bot.records.retention import REDIS_FAMILIES, purge_all, rule_for

ROOT = Path(__file__).resolve().parents[2]
CODE = ("bot", "actions", "channels", "components", "console", "ops", "tools")
# A key name in the code: a string literal (an f-string's literal start too) beginning "coopsante:".
LITERAL = re.compile(r"""f?["'](coopsante:[A-Za-z][A-Za-z0-9_:]*)""")


def key_prefixes_in_code() -> dict[str, str]:
    """Every literal key prefix the code writes or reads, with a file where it appears."""
    found: dict[str, str] = {}
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(match.group(1), str(path.relative_to(ROOT)))
    return found


def test_every_key_family_in_the_code_has_a_retention_rule() -> None:
    prefixes = key_prefixes_in_code()
    assert len(prefixes) >= 20, "the scan found too few key names: has the code moved?"
    missing = {prefix: where for prefix, where in prefixes.items() if rule_for(prefix) is None}
    assert not missing, f"Redis key families with no retention rule (bot/records/retention.py): {missing}"
    for prefix, rule in REDIS_FAMILIES.items():
        assert rule.why.strip(), f"{prefix}: say why"


def test_keys_written_by_the_code_expire_when_their_family_says_so(redis_client: Any) -> None:
    from bot.handoff.clinicians import ClinicianAccounts
    from bot.membership.attempts import AttemptLimiter
    from bot.membership.otp import OneTimeCodes
    from bot.membership.web_identity import WebIdentities
    from bot.records.privacy import request_erasure
    from channels.sms import record_delivery_failure

    AttemptLimiter(redis_client).fail("+18195550101", "VM-000101")
    OneTimeCodes(redis_client).issue("web-1", "VM-000101")
    request_erasure(redis_client, "+18195550101")
    WebIdentities(redis_client).remember("web-1", "VM-000101", 600)
    accounts = ClinicianAccounts(redis_client)
    accounts.create("inf@coop.example", "Inf", "infirmiere", "un mot de passe assez long")
    accounts.log_in("inf@coop.example", "un mot de passe assez long")
    record_delivery_failure(redis_client, "SM1", "failed", "30003")
    keys = redis_client.keys("*")
    assert len(keys) >= 7
    for key in keys:
        rule = rule_for(key)
        assert rule is not None, f"{key}: no retention rule"
        if rule.kind == "expiry":
            assert redis_client.ttl(key) > 0, f"{key}: its family expires, but the key has no TTL"


def test_failed_deliveries_are_trimmed_by_age_not_by_count(redis_client: Any) -> None:
    from channels.sms import DELIVERY_SECONDS, DELIVERY_STREAM, record_delivery_failure

    now = datetime.now(UTC).timestamp()
    for age, sid in ((DELIVERY_SECONDS + 60, "SM-old"), (DELIVERY_SECONDS - 3600, "SM-recent")):
        entry_id = f"{int((now - age) * 1000)}-0"
        redis_client.xadd(DELIVERY_STREAM, {"sid": sid, "statut": "failed", "erreur": ""}, id=entry_id)
    record_delivery_failure(redis_client, "SM-new", "failed", "30003")
    sids = [fields["sid"] for _, fields in redis_client.xrange(DELIVERY_STREAM)]
    assert sids == ["SM-recent", "SM-new"]
    assert 0 < redis_client.ttl(DELIVERY_STREAM) <= DELIVERY_SECONDS


def test_purge_all_runs_every_store(database: Any) -> None:
    from sqlalchemy import text

    now = datetime.now(UTC)
    notice = load_notice(ROOT / "content")
    audit, consents = AuditLog(database, retention_days=365), ConsentStore(database, retention_days=365)
    with database.begin() as connection:
        connection.execute(
            text("INSERT INTO audit (kind, actor, at) VALUES ('access', 'old', :at)"), {"at": now - timedelta(days=400)}
        )
    consents._append("web-old", notice.version, "web", "oui", at=now - timedelta(days=400))
    audit.access("inf@coop.example", "consultation", "T-1")
    consents.record("web-new", notice, "web", accepted=True)
    assert purge_all([audit, consents], now) == {"AuditLog": 1, "ConsentStore": 1}
    assert [e["actor"] for e in audit.entries()] == ["inf@coop.example"]
    assert consents.history("web-old") == [] and consents.entry("web-new")


def test_the_purge_command(database_url: str, database: Any) -> None:
    import subprocess
    import sys

    from sqlalchemy import text

    with database.begin() as connection:
        connection.execute(
            text("INSERT INTO audit (kind, actor, at) VALUES ('access', 'old', now() - interval '400 days')")
        )
    env = {"DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "ops.purge_records"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "AuditLog: 1 removed" in result.stdout and "ConsentStore: 0 removed" in result.stdout
    assert AuditLog(database).entries() == []
