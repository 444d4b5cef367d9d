"""Handoff tickets, the claim race and clinician accounts (real PostgreSQL and Redis). The bot's side of a handoff is in
tests/conversations/ (waiting, relay, ANNULER, an emergency during a handoff)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.handoff.clinicians import (
    ACCOUNT_KEY,
    AccountError,
    ClinicianAccounts,
    hash_password,
    needs_rehash,
    password_matches,
)
from bot.handoff.desk import (
    UNCLAIMED_RETENTION_DAYS,
    HandoffDesk,
    Ticket,
    import_from_redis,
    new_ticket_id,
    wait_thread_async,
)
from bot.membership.members import Member
from bot.platform.redis_clients import async_client

GISELE = Member("VM-000101", "Gisèle", "Tremblay", date(1948, 3, 12), "+18195550101", "val-morin", "actif", None)


def ticket(disposition: str = "clinicien", conversation: str = "+18195550101", created: float | None = None) -> Ticket:
    return Ticket(
        id=new_ticket_id(),
        conversation=conversation,
        channel="sms",
        coop="val-morin",
        disposition=disposition,
        reasons=["clinicien-fievre-enfant"],
        summary={"motif": "mon fils fait 39 de fièvre"},
        created=created or time.time(),
    )


def test_the_queue_is_urgent_first_then_oldest(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client)
    old = desk.open(ticket(created=time.time() - 300, conversation="a"))
    urgent = desk.open(ticket("urgence", conversation="b"))
    new = desk.open(ticket(conversation="c"))
    assert [t.id for t in desk.queue()] == [urgent.id, old.id, new.id]
    desk.member_said(new.id, "j'ai mal à la poitrine", emergency=True)  # flagged: among the urgent ones
    assert [t.id for t in desk.queue()] == [urgent.id, new.id, old.id]


def test_the_board_is_the_queue_and_the_clinicians_tickets_in_one_read(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client)
    opened = [
        desk.open(ticket(d, conversation=c)) for d, c in (("clinicien", "a"), ("urgence", "b"), ("clinicien", "c"))
    ]
    mine = [desk.open(ticket(conversation=c)) for c in ("d", "e")]
    theirs = desk.open(ticket(conversation="f"))
    for held in [*mine, theirs]:
        desk.claim(held.id, "autre@coop.example" if held is theirs else "inf@coop.example", "Inf")
    desk.member_said(opened[2].id, "j'ai mal à la poitrine", emergency=True)
    waiting, claimed = desk.board("inf@coop.example")
    assert waiting == desk.queue() and [t.id for t in waiting] == [opened[1].id, opened[2].id, opened[0].id]
    assert claimed == desk.claimed_by("inf@coop.example") and [t.id for t in claimed] == [t.id for t in mine]


def test_exactly_one_of_many_clinicians_gets_a_ticket(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client)
    opened = desk.open(ticket())
    results: list[bool] = []
    barrier = threading.Barrier(20)

    def claim(n: int) -> None:
        barrier.wait()
        results.append(desk.claim(opened.id, f"inf{n}@coop.example", f"Inf {n}"))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    claimed = desk.get(opened.id)
    assert claimed is not None and claimed.status == "pris" and desk.queue() == []


def test_closing_ends_the_handoff_and_keeps_the_ticket_for_a_while(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client, retention_seconds=3600)
    opened = desk.open(ticket())
    assert desk.open_ticket_of(opened.conversation) is not None
    desk.claim(opened.id, "inf@coop.example", "Inf")
    closed = desk.close(opened.id, "resolu", "Inf")
    assert closed is not None and closed.status == "ferme" and closed.outcome == "resolu"
    assert desk.open_ticket_of(opened.conversation) is None
    assert [e["type"] for e in desk.thread(opened.id)] == ["ouvert", "pris", "ferme"]
    assert desk.close(opened.id, "resolu", "Inf") is None
    now = datetime.now(UTC)
    assert desk.purge_expired(now + timedelta(seconds=3500)) == 0 and desk.get(opened.id) is not None
    assert desk.purge_expired(now + timedelta(seconds=3700)) == 1  # kept for an hour after closing, not more
    assert desk.get(opened.id) is None and desk.thread(opened.id) == []


def test_overdue_tickets_and_clinicians_on_duty(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client)
    late = desk.open(ticket(created=time.time() - 400))
    desk.open(ticket(conversation="x"))
    assert [t.id for t in desk.overdue(300)] == [late.id]
    desk.mark_wait_notice(late.id)
    assert desk.overdue(300) == []
    assert desk.on_duty() == 0
    desk.heartbeat("inf@coop.example", ["val-morin"])
    assert desk.on_duty() == 1 and desk.on_duty("val-morin") == 1
    assert desk.on_duty("hautes-laurentides") == 0  # another coop's members are not answered by her
    desk.heartbeat("inf2@coop.example", ["val-morin", "hautes-laurentides"])
    assert desk.on_duty("val-morin", "hautes-laurentides") == 2 and desk.on_duty("hautes-laurentides") == 1
    desk.off_duty("inf@coop.example", ["val-morin"])
    assert desk.on_duty("val-morin") == 1
    desk.off_duty("inf2@coop.example", ["val-morin", "hautes-laurentides"])
    assert desk.on_duty() == 0


def test_passwords_are_slow_hashes_and_logins_slow_down(redis_client: Any) -> None:
    stored = hash_password("un mot de passe long")
    assert stored.startswith("scrypt$17$8$1$") and "un mot" not in stored  # OWASP: N=2**17, r=8, p=1
    assert password_matches("un mot de passe long", stored) and not password_matches("autre", stored)
    accounts = ClinicianAccounts(redis_client)
    accounts.create("Inf@Coop.example", "Marie", "infirmiere", "un mot de passe long", ["val-morin"])
    with pytest.raises(AccountError):
        accounts.create("inf@coop.example", "Marie", "infirmiere", "un mot de passe long")
    with pytest.raises(AccountError):
        accounts.create("x@coop.example", "X", "chirurgien", "un mot de passe long")
    status, session = accounts.log_in("inf@coop.example", "un mot de passe long")
    assert status == "ok" and session is not None and session.clinician.role == "infirmiere"
    assert session.clinician.coops == ("val-morin",)
    assert accounts.session(session.token) is not None
    for _ in range(5):
        status, _ = accounts.log_in("inf@coop.example", "mauvais", source="203.0.113.9")
    assert status == "refused"
    assert accounts.throttle.delay("inf@coop.example", "198.51.100.7") > 0  # slower, not locked:
    assert accounts.log_in("inf@coop.example", "un mot de passe long", source="198.51.100.7")[0] == "ok"
    assert accounts.log_in("personne@coop.example", "x")[0] == "refused"  # same answer as a wrong password


def test_the_database_refuses_a_second_claim(database: Any, redis_client: Any) -> None:
    """One claim per ticket is the schema's rule too, not only the desk's: a direct UPDATE is refused."""
    desk = HandoffDesk(database, redis_client)
    opened = desk.open(ticket())
    assert desk.claim(opened.id, "inf@coop.example", "Inf") and not desk.claim(opened.id, "autre@coop.example", "X")
    with pytest.raises(IntegrityError), database.begin() as connection:
        connection.execute(
            text("UPDATE handoff_tickets SET claimed_by = 'autre@coop.example' WHERE id = :id"), {"id": opened.id}
        )
    with pytest.raises(IntegrityError), database.begin() as connection:  # taken means someone holds it
        connection.execute(
            text("UPDATE handoff_tickets SET status = 'pris' WHERE id = :id"),
            {"id": desk.open(ticket(conversation="y")).id},
        )
    held = desk.get(opened.id)
    assert held is not None and held.clinician == "inf@coop.example" and desk.claimed_by("inf@coop.example") == [held]


def test_a_live_view_wakes_on_a_new_message_read_from_the_records(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client)
    opened = desk.open(ticket())
    assert desk.wait_thread(opened.id, "$", 200) == []  # nothing new: it waits, then gives up
    started = time.monotonic()
    timer = threading.Timer(0.5, desk.member_said, args=(opened.id, "toujours là?", False))
    timer.start()
    [entry] = desk.wait_thread(opened.id, "$", 10_000)
    assert entry["type"] == "membre" and entry["texte"] == "toujours là?"
    assert time.monotonic() - started < 5, "woken by the message, not by the timeout"
    first = desk.thread(opened.id)[0]["id"]
    assert [e["type"] for e in desk.wait_thread(opened.id, first, 100)] == ["membre"]  # after a given message
    timer.join()


def test_a_live_view_on_an_event_loop_wakes_the_same_way(database: Any, redis_client: Any, redis_url: str) -> None:
    """wait_thread_async: the console's ticket stream, waiting on redis.asyncio with no thread held."""
    desk = HandoffDesk(database, redis_client)
    opened = desk.open(ticket())

    async def scenario() -> None:
        live = async_client(redis_url)
        try:
            assert await wait_thread_async(desk, live, opened.id, "$", 200) == []
            started = time.monotonic()
            loop = asyncio.get_running_loop()
            loop.call_later(0.5, lambda: loop.run_in_executor(None, desk.member_said, opened.id, "allo?", False))
            [entry] = await wait_thread_async(desk, live, opened.id, "$", 10_000)
            assert entry["type"] == "membre" and entry["texte"] == "allo?"
            assert time.monotonic() - started < 5, "woken by the message, not by the timeout"
            first = desk.thread(opened.id)[0]["id"]
            assert [e["type"] for e in await wait_thread_async(desk, live, opened.id, first, 100)] == ["membre"]
        finally:
            await live.close()

    asyncio.run(scenario())


def test_unclaimed_tickets_are_purged_after_their_retention(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client)
    old = desk.open(ticket(created=time.time() - (UNCLAIMED_RETENTION_DAYS + 1) * 86400, conversation="a"))
    held = desk.open(ticket(created=time.time() - (UNCLAIMED_RETENTION_DAYS + 1) * 86400, conversation="b"))
    desk.claim(held.id, "inf@coop.example", "Inf")
    recent = desk.open(ticket(conversation="c"))
    assert desk.purge_expired(datetime.now(UTC)) == 1
    assert desk.get(old.id) is None and desk.get(held.id) is not None and desk.get(recent.id) is not None


def test_erasing_a_member_deletes_their_tickets_and_threads(database: Any, redis_client: Any) -> None:
    desk = HandoffDesk(database, redis_client)
    by_sms = desk.open(ticket(conversation="+18195550101"))
    by_call = desk.open(ticket(conversation="+18195550101~CA0123"))
    by_web = desk.open(ticket(conversation="web-abc"))
    by_number = desk.open(replace(ticket(conversation="web-other"), member_number="VM-000101"))
    other = desk.open(ticket(conversation="+18195550999"))
    assert desk.erase_member("VM-000101", ["+18195550101"], ["web-abc"]) == 4
    assert [desk.get(t.id) for t in (by_sms, by_call, by_web, by_number)] == [None] * 4
    assert desk.get(other.id) is not None and desk.thread(by_sms.id) == []
    assert desk.erase_member(None, [], []) == 0 and desk.get(other.id) is not None


def test_tickets_are_imported_from_redis_once(database: Any, redis_client: Any) -> None:
    waiting = ticket(conversation="+18195550101")
    closed = replace(ticket(conversation="web-x"), status="ferme", clinician="inf@coop.example", closed_at=time.time())
    for legacy in (waiting, closed):
        redis_client.hset(f"coopsante:relais:ticket:{legacy.id}", mapping=legacy.to_redis())
        entry = {"type": "ouvert", "auteur": "", "texte": "", "signale": "", "a": repr(legacy.created)}
        redis_client.xadd(f"coopsante:relais:fil:{legacy.id}", entry)
    redis_client.xadd(f"coopsante:relais:fil:{waiting.id}", {"type": "membre", "auteur": "", "texte": "allo", "a": "1"})
    assert import_from_redis(redis_client, database) == 2
    assert import_from_redis(redis_client, database) == 0  # idempotent
    desk = HandoffDesk(database, redis_client)
    assert [t.id for t in desk.queue()] == [waiting.id]
    assert [e["texte"] for e in desk.thread(waiting.id)] == ["", "allo"]
    imported = desk.get(closed.id)
    assert imported is not None and imported.status == "ferme" and len(desk.thread(closed.id)) == 1


def test_an_old_hash_is_upgraded_at_the_next_good_login(redis_client: Any) -> None:
    accounts = ClinicianAccounts(redis_client)
    accounts.create("vieux@coop.example", "Vieux", "medecin", "un mot de passe long", ["val-morin"])
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"un mot de passe long", salt=salt, n=2**14, r=8, p=1, dklen=32)
    legacy = "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()
    redis_client.hset(ACCOUNT_KEY + "vieux@coop.example", "mot_de_passe", legacy)
    assert accounts.log_in("vieux@coop.example", "mauvais")[0] == "refused"
    assert redis_client.hget(ACCOUNT_KEY + "vieux@coop.example", "mot_de_passe") == legacy
    assert accounts.log_in("vieux@coop.example", "un mot de passe long")[0] == "ok"
    upgraded = redis_client.hget(ACCOUNT_KEY + "vieux@coop.example", "mot_de_passe")
    assert upgraded.startswith("scrypt$17$8$1$") and not needs_rehash(upgraded)
    assert accounts.log_in("vieux@coop.example", "un mot de passe long")[0] == "ok"


def test_an_account_stored_without_coops_belongs_to_none(redis_client: Any) -> None:
    redis_client.hset(
        ACCOUNT_KEY + "ancien@coop.example",
        mapping={"courriel": "ancien@coop.example", "nom": "Ancien", "role": "infirmiere", "mot_de_passe": "x"},
    )
    ancien = ClinicianAccounts(redis_client).get("ancien@coop.example")
    assert ancien is not None and ancien.coops == () and not ancien.member_of("val-morin")
    assert ClinicianAccounts(redis_client).set_coops("ancien@coop.example", "val-morin").coops == ("val-morin",)
