"""Attempt limits and one-time codes against a real Redis server."""

from __future__ import annotations

from typing import Any

from bot.attempts import AttemptLimiter
from bot.otp import OneTimeCodes


def test_five_failures_lock_the_sender_and_the_member(redis_client: Any) -> None:
    limiter = AttemptLimiter(redis_client)
    for _ in range(4):
        limiter.fail("+18195550101", "VM-000101")
    assert not limiter.locked("+18195550101")
    limiter.fail("+18195550101", "VM-000101")
    assert limiter.locked("+18195550101") and limiter.locked("VM-000101")
    assert limiter.locked("+18195550199", "VM-000101")  # another sender, same member: locked
    assert 0 < limiter.retry_after("+18195550101") <= 15 * 60


def test_no_phone_number_in_clear_in_redis(redis_client: Any) -> None:
    AttemptLimiter(redis_client).fail("+18195550101")
    assert not [k for k in redis_client.keys("*") if "5550101" in k]


def test_the_lock_lifts_when_the_window_ends(redis_client: Any) -> None:
    limiter = AttemptLimiter(redis_client, max_failures=1, window_seconds=1)
    limiter.fail("x")
    assert limiter.locked("x")
    for key in redis_client.keys("coopsante:echecs:*"):
        redis_client.pexpire(key, 1)
    import time

    time.sleep(0.05)
    assert not limiter.locked("x")


def test_success_clears(redis_client: Any) -> None:
    limiter = AttemptLimiter(redis_client)
    limiter.fail("x")
    limiter.clear("x")
    assert redis_client.keys("coopsante:echecs:*") == []


def test_a_code_works_once(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    code = codes.issue("VM-000101")
    assert len(code) == 6 and code.isdigit()
    assert codes.check("VM-000101", f" {code[:3]} {code[3:]} ") == "ok"
    assert codes.check("VM-000101", code) == "expired"


def test_three_wrong_tries_end_the_code(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    code = codes.issue("VM-000101")
    wrong = "000000" if code != "000000" else "111111"
    assert codes.check("VM-000101", wrong) == "wrong"
    assert codes.check("VM-000101", wrong) == "wrong"
    assert codes.check("VM-000101", wrong) == "expired"
    assert codes.check("VM-000101", code) == "expired"


def test_codes_expire_after_ten_minutes(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    codes.issue("VM-000101")
    assert 0 < redis_client.ttl("coopsante:otp:VM-000101") <= 600
    assert code_not_stored_in_clear(redis_client)


def code_not_stored_in_clear(redis_client: Any) -> bool:
    stored = redis_client.hgetall("coopsante:otp:VM-000101")
    return set(stored) == {"hash", "salt", "tries"}
