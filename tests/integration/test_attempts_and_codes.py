"""Attempt limits and one-time codes against a real Redis server."""

from __future__ import annotations

from typing import Any

from bot.membership.attempts import AttemptLimiter
from bot.membership.otp import OneTimeCodes


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


def test_an_empty_subject_is_never_counted(redis_client: Any) -> None:
    """Finding: failures with no member number locked every web visitor out."""
    limiter = AttemptLimiter(redis_client)
    for _ in range(6):
        limiter.fail("web-a", "")
        limiter.fail("  ")
    assert not limiter.locked("web-b", "")
    assert limiter.locked("web-a")


def test_a_code_works_once(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    code = codes.issue("web-1", "VM-000101")
    assert len(code) == 6 and code.isdigit()
    assert codes.check("web-1", f" {code[:3]} {code[3:]} ") == ("ok", "VM-000101")
    assert codes.check("web-1", code) == ("expired", "")


def test_a_code_is_worth_nothing_in_another_session(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    code = codes.issue("web-1", "VM-000101")
    assert codes.check("web-2", code) == ("expired", "")
    assert codes.check("web-1", code) == ("ok", "VM-000101")


def test_a_decoy_matches_no_code(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    code = codes.issue("web-1", "VM-000101", real=False)
    assert codes.check("web-1", code) == ("wrong", "")


def test_three_wrong_tries_end_the_code(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    code = codes.issue("web-1", "VM-000101")
    wrong = "000000" if code != "000000" else "111111"
    assert codes.check("web-1", wrong) == ("wrong", "")
    assert codes.check("web-1", wrong) == ("wrong", "")
    assert codes.check("web-1", wrong) == ("expired", "")
    assert codes.check("web-1", code) == ("expired", "")


def test_codes_expire_after_ten_minutes(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    codes.issue("web-1", "VM-000101")
    (key,) = redis_client.keys("coopsante:otp:*")
    assert 0 < redis_client.ttl(key) <= 600
    assert set(redis_client.hgetall(key)) == {"hash", "salt", "tries", "numero"}  # no code in clear


def test_three_codes_texted_per_member_and_hour(redis_client: Any) -> None:
    codes = OneTimeCodes(redis_client)
    assert [codes.may_send("VM-000101", spend=True) for _ in range(4)] == [True, True, True, False]
    assert not codes.may_send("VM-000101", spend=False)
    assert codes.may_send("VM-000102", spend=False)


def test_the_migration_moves_every_pseudonym_to_the_keyed_one(redis_client: Any) -> None:
    """Finding: pseudonyms were unkeyed; existing keys move to the keyed ones (ops/rekey_pseudonyms.py)."""
    from datetime import date

    from bot.handoff.desk import LEGACY_TICKET, new_ticket_id
    from bot.membership.members import Member
    from bot.membership.store import LEGACY_MEMBER_KEY
    from bot.platform.pseudonym import pseudonym, unkeyed_pseudonym
    from bot.sms.keywords import OptOuts
    from ops.rekey_pseudonyms import BY_CONVERSATION, rekey

    phone, stranger = "+18195550101", "+18195550999"
    gisele = Member("VM-000101", "Gisèle", "T", date(1948, 3, 12), phone, "Coop", "actif", None)
    redis_client.hset(LEGACY_MEMBER_KEY + gisele.number, mapping=gisele.to_record())  # the registry before PostgreSQL
    ticket = new_ticket_id()  # an open ticket and its index as the Redis layout before PostgreSQL kept them
    redis_client.hset(
        LEGACY_TICKET + ticket,
        mapping={"id": ticket, "conversation": "web-abc", "canal": "web", "disposition": "clinicien", "cree_a": "1"},
    )
    redis_client.set(BY_CONVERSATION + pseudonym("web-abc"), ticket)
    # What the old code wrote: the same records under unkeyed hashes.
    for key in list(redis_client.keys("coopsante:*")):
        for value in (phone, "web-abc"):
            if key.endswith(pseudonym(value)):
                redis_client.rename(key, key[: -len(pseudonym(value))] + unkeyed_pseudonym(value))
    redis_client.set("coopsante:sms:desabonne:" + unkeyed_pseudonym(phone), "1 STOP")
    redis_client.set("coopsante:sms:desabonne:" + unkeyed_pseudonym(stranger), "1 STOP")
    redis_client.set("coopsante:consentement:" + unkeyed_pseudonym(phone), "x")
    redis_client.set("coopsante:echecs:" + unkeyed_pseudonym(phone), "3")
    assert not OptOuts(redis_client).opted_out(phone)
    assert redis_client.get(BY_CONVERSATION + pseudonym("web-abc")) is None

    assert rekey(redis_client, dry_run=True)["coopsante:sms:desabonne: renamed"] == 1
    assert OptOuts(redis_client).opted_out(phone) is False  # a dry run changes nothing
    done = rekey(redis_client)
    assert OptOuts(redis_client).opted_out(phone)
    assert redis_client.get("coopsante:consentement:" + pseudonym(phone)) == "x"
    assert redis_client.get(BY_CONVERSATION + pseudonym("web-abc")) == ticket
    assert redis_client.keys("coopsante:echecs:*") == [] and redis_client.keys(BY_CONVERSATION + "*") == [
        BY_CONVERSATION + pseudonym("web-abc")
    ]
    assert done["coopsante:sms:desabonne: left (identifier unknown)"] == 1  # the stranger's: reported
