"""Identity checks against real Redis and PostgreSQL: families, wrong dates, locks, codes, no leaks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.attempts import AttemptLimiter
from bot.audit import AuditLog
from bot.member_store import MemberRegistry
from bot.members import Member
from bot.otp import OneTimeCodes
from bot.verification import Verifier, eligibility

PHONE = "+18195550101"
GISELE = Member("VM-000101", "Gisèle", "Tremblay", date(1948, 3, 12), PHONE, "Coop", "actif", date(2027, 1, 31))
REJEAN = Member("VM-000102", "Réjean", "Tremblay", date(1946, 11, 2), PHONE, "Coop", "actif", date(2027, 1, 31))


@pytest.fixture
def verifier(redis_client: Any, database: Any) -> Verifier:
    registry = MemberRegistry(database)
    registry.upsert([GISELE, REJEAN])
    return Verifier(registry, AttemptLimiter(redis_client), OneTimeCodes(redis_client), AuditLog(database))


def test_a_family_sharing_a_phone(verifier: Verifier) -> None:
    assert verifier.by_sms(PHONE, "12 mars 1948").member == GISELE
    assert verifier.by_sms(PHONE, "1946-11-02").member == REJEAN


def test_wrong_date_and_unknown_phone_read_the_same(verifier: Verifier) -> None:
    wrong = verifier.by_sms(PHONE, "1 janvier 1950")
    unknown = verifier.by_sms("+18195550000", "12 mars 1948")
    assert wrong == unknown
    assert wrong.status == "failed" and wrong.member is None


def test_not_a_date_is_not_a_failure(verifier: Verifier) -> None:
    for _ in range(10):
        assert verifier.by_sms(PHONE, "euh").status == "not_a_date"
    assert verifier.by_sms(PHONE, "12/03/48").status == "verified"


def test_five_failures_lock_even_the_right_answer(verifier: Verifier) -> None:
    for _ in range(5):
        assert verifier.by_sms(PHONE, "1 janvier 1950").status == "failed"
    locked = verifier.by_sms(PHONE, "12 mars 1948")
    assert locked.status == "locked" and locked.member is None and locked.retry_after_seconds > 0


def test_web_code_flow(verifier: Verifier) -> None:
    outcome, code = verifier.start_web("web-1", "vm-000101", "12 mars 1948")
    assert outcome.status == "code_sent" and code is not None
    assert verifier.finish_web("web-1", "VM-000101", code).member == GISELE


def test_web_never_says_whether_the_member_exists(verifier: Verifier) -> None:
    wrong_date, no_code = verifier.start_web("web-2", "VM-000101", "1 janvier 1950")
    no_member, no_code_either = verifier.start_web("web-3", "VM-999999", "12 mars 1948")
    assert wrong_date.status == no_member.status == "code_sent"
    assert no_code is None and no_code_either is None


def test_web_wrong_codes(verifier: Verifier) -> None:
    _, code = verifier.start_web("web-4", "VM-000101", "12 mars 1948")
    assert code is not None
    wrong = "000000" if code != "000000" else "111111"
    assert verifier.finish_web("web-4", "VM-000101", wrong).status == "failed"
    assert verifier.finish_web("web-4", "VM-000101", wrong).status == "failed"
    assert verifier.finish_web("web-4", "VM-000101", wrong).status == "expired"


@pytest.mark.parametrize(
    ("status", "until", "expected"),
    [
        ("actif", date(2027, 1, 31), "ok"),
        ("actif", None, "sans_plan"),
        ("actif", date(2026, 1, 1), "sans_plan"),
        ("expire", date(2027, 1, 31), "expire"),
        ("suspendu", date(2027, 1, 31), "suspendu"),
    ],
)
def test_eligibility(status: str, until: date | None, expected: str) -> None:
    member = Member("X-1", "A", "B", date(1950, 1, 1), PHONE, "Coop", status, until)
    assert eligibility(member, date(2026, 11, 23)) == expected


def test_every_attempt_is_audited_without_the_values(verifier: Verifier, database: Any) -> None:
    verifier.by_sms(PHONE, "1 janvier 1950")
    verifier.by_sms(PHONE, "12 mars 1948")
    entries = AuditLog(database).entries("security")
    assert [e["outcome"] for e in entries] == ["reussie", "echec"]
    dump = str(entries)
    assert "5550101" not in dump and "1950" not in dump and "1948" not in dump and "VM-000101" not in dump
