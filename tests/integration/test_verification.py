"""Identity checks against real Redis and PostgreSQL: families, wrong dates, locks, codes, no leaks."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.membership.attempts import AttemptLimiter
from bot.membership.members import Member
from bot.membership.otp import OneTimeCodes
from bot.membership.store import MemberRegistry
from bot.membership.verification import Verifier, eligibility
from bot.platform.audit import AuditLog

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
    outcome, delivery = verifier.start_web("web-1", "vm-000101", "12 mars 1948")
    assert outcome.status == "code_sent" and delivery is not None and delivery.phone == PHONE
    assert verifier.finish_web("web-1", delivery.code).member == GISELE


def test_web_never_says_whether_the_member_exists(verifier: Verifier) -> None:
    matching, delivery = verifier.start_web("web-1", "VM-000101", "12 mars 1948")
    wrong_date, no_code = verifier.start_web("web-2", "VM-000101", "1 janvier 1950")
    no_member, no_code_either = verifier.start_web("web-3", "VM-999999", "12 mars 1948")
    assert matching == wrong_date == no_member and matching.status == "code_sent"
    assert delivery is not None and no_code is None and no_code_either is None


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_web_wrong_codes(verifier: Verifier) -> None:
    _, delivery = verifier.start_web("web-4", "VM-000101", "12 mars 1948")
    assert delivery is not None
    assert verifier.finish_web("web-4", wrong(delivery.code)).status == "failed"
    assert verifier.finish_web("web-4", wrong(delivery.code)).status == "failed"
    assert verifier.finish_web("web-4", wrong(delivery.code)).status == "expired"


def test_a_wrong_code_reads_the_same_whether_or_not_number_and_date_matched(verifier: Verifier) -> None:
    """Finding: the code step was an oracle (a wrong code got "refused" after a match, "expired"
    after a miss)."""
    _, delivery = verifier.start_web("web-match", "VM-000101", "12 mars 1948")
    verifier.start_web("web-wrong-date", "VM-000102", "1 janvier 1950")
    verifier.start_web("web-unknown", "VM-999999", "12 mars 1948")
    assert delivery is not None
    runs = [
        [verifier.finish_web(s, wrong(delivery.code)) for _ in range(3)]
        for s in ("web-match", "web-wrong-date", "web-unknown")
    ]
    assert runs[0] == runs[1] == runs[2]
    assert [o.status for o in runs[0]] == ["failed", "failed", "expired"]


def test_a_code_belongs_to_the_session_that_passed_the_date(verifier: Verifier) -> None:
    _, delivery = verifier.start_web("web-owner", "VM-000101", "12 mars 1948")
    verifier.start_web("web-other", "VM-000101", "1 janvier 1950")
    assert delivery is not None
    assert verifier.finish_web("web-other", delivery.code).status == "failed"
    assert verifier.finish_web("web-third", delivery.code).status == "expired"
    assert verifier.finish_web("web-owner", delivery.code).member == GISELE


def test_codes_texted_to_a_member_are_limited_per_hour(verifier: Verifier) -> None:
    tries = [verifier.start_web(f"web-{n}", "VM-000101", "12 mars 1948") for n in range(4)]
    assert [d is not None for _, d in tries] == [True, True, True, False]
    assert len({o for o, _ in tries}) == 1  # the reply is the same: nothing says the limit was reached


def test_an_empty_member_number_locks_nobody(verifier: Verifier) -> None:
    """Finding: failures with no member number were counted under one key shared by every visitor."""
    for n in range(6):
        verifier.start_web(f"web-empty-{n}", "", "1 janvier 1950")
        verifier.finish_web(f"web-empty-{n}", "000000")
    assert verifier.start_web("web-newcomer", "", "12 mars 1948")[0].status == "code_sent"
    assert verifier.start_web("web-newcomer-2", "VM-000101", "12 mars 1948")[1] is not None


def test_strangers_on_the_web_cannot_lock_the_members_sms_check(verifier: Verifier) -> None:
    """Finding: a few web sessions with a wrong date locked the real member's SMS check."""
    for n in range(8):
        verifier.start_web(f"web-stranger-{n}", "VM-000101", "1 janvier 1950")
        verifier.finish_web(f"web-stranger-{n}", "000000")
    assert verifier.by_sms(PHONE, "12 mars 1948").member == GISELE


def test_brute_force_on_one_number_from_many_sessions_meets_a_limit(verifier: Verifier) -> None:
    for n in range(5):
        assert verifier.start_web(f"web-bf-{n}", "VM-000101", f"{n + 1} janvier 1950")[0].status == "code_sent"
    locked, delivery = verifier.start_web("web-bf-new", "VM-000101", "12 mars 1948")
    assert locked.status == "locked" and delivery is None
    assert verifier.by_sms(PHONE, "12 mars 1948").member == GISELE  # the member's own phone still works


def test_one_session_trying_many_numbers_meets_a_limit(verifier: Verifier) -> None:
    for n in range(5):
        verifier.start_web("web-scan", f"VM-{n + 500:06d}", "12 mars 1948")
    assert verifier.start_web("web-scan", "VM-000101", "12 mars 1948")[0].status == "locked"


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


def test_the_web_chat_replies_the_same_to_a_wrong_code_after_a_match_and_a_miss(clinic: Any) -> None:
    """Finding: the oracle as a visitor sees it, through the whole conversation."""
    member = clinic.eligible_member()
    right = member.birth_date.strftime("%d/%m/%Y")
    transcripts = []
    for number, born in ((member.number, right), (member.number, "01/01/1901"), ("VM-999990", right)):
        chat = clinic.conversation()
        clinic.services.consents.record(chat.sender, clinic.services.consent_notice, "web", accepted=True)
        said = [chat.say(text) for text in ("je voudrais un rendez-vous avec un médecin", number, born)]
        sent = clinic.codes[-1][1] if clinic.codes else ""
        said += [chat.say("000000" if "000000" not in sent else "111111") for _ in range(3)]
        transcripts.append([[r.text for r in replies] for replies in said[1:]])
        for key in clinic.redis.keys("coopsante:echecs:*"):  # each run starts with no failures counted
            clinic.redis.delete(key)
    assert len(clinic.codes) == 1  # only the match got a code
    assert transcripts[0] == transcripts[1] == transcripts[2]


def test_codes_are_texted_off_the_replys_path(redis_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Finding: the matching path texted the code before answering (a timing oracle)."""
    import threading
    import time

    from actions import resources

    sent = threading.Event()

    class SlowSender:
        def send(self, to: str, body: str, *, from_number: str | None = None, urgent: bool = False) -> None:
            time.sleep(1)
            sent.set()

    monkeypatch.setattr(resources, "sms_sender", SlowSender)
    services = resources.services(redis_client)
    started = time.monotonic()
    services.send_code(PHONE, "code 123456", "val-morin")
    assert time.monotonic() - started < 0.5 and not sent.is_set()
    assert sent.wait(5)


def test_web_strangers_do_not_lock_the_member_out_of_their_own_phone(clinic: Any) -> None:
    """Finding 3, as a member sees it: three web sessions with a wrong date, then the member texts."""
    member = clinic.eligible_member()
    for _ in range(3):
        chat = clinic.conversation()
        clinic.services.consents.record(chat.sender, clinic.services.consent_notice, "web", accepted=True)
        for text in ("je voudrais un rendez-vous avec un médecin", member.number, "01/01/1901", "000000"):
            chat.say(text)
    sms = clinic.conversation(channel="sms", sender=member.phone)
    clinic.services.consents.record(sms.sender, clinic.services.consent_notice, "sms", accepted=True)
    sms.say("je voudrais un rendez-vous avec un médecin")
    said = " ".join(r.text for r in sms.say(member.birth_date.strftime("%d/%m/%Y")))
    assert member.first_name in said and "Trop d'essais" not in said
