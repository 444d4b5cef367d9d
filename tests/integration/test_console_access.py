"""The console's access rules over real HTTP: coops, roles, closed tickets, transcripts, schedules,
live streams, the audit trail and logins. The console app runs in-process on a real Redis; Rasa's
tracker API is a small local HTTP server holding the events a test gives it."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.booking.availability import QUEBEC, Availability, load_rules
from bot.content import Content
from bot.handoff.clinicians import ClinicianAccounts
from bot.handoff.desk import HandoffDesk, Ticket, new_ticket_id
from bot.platform.audit import AuditLog
from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from console.app import make_app
from console.delivery import MemberDelivery
from console.transcript import MASKS, identity_prompts, mask, transcript_lines
from tests.conftest import ROOT

PASSWORD = "un mot de passe long"
_records: list[Any] = []  # the test's PostgreSQL engine (tickets, bookings, availability live there)


@pytest.fixture(autouse=True)
def _database(database: Any) -> Iterator[None]:
    _records[:] = [database]
    yield
    _records.clear()


def records() -> Any:
    return _records[0]


def desk_of(redis: Any) -> HandoffDesk:
    return HandoffDesk(records(), redis)


COOP_A, COOP_B = "val-morin", "hautes-laurentides"


@dataclass
class FakeRasa:
    """Rasa's tracker endpoints: what the console reads (a transcript) and writes (messages)."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/conversations/{id}/tracker", self.tracker)
        app.router.add_post("/conversations/{id}/tracker/events", self.append)
        return app

    async def tracker(self, request: web.Request) -> web.Response:
        return web.json_response({"events": self.events.get(request.match_info["id"], [])})

    async def append(self, request: web.Request) -> web.Response:
        self.events.setdefault(request.match_info["id"], []).extend(await request.json())
        return web.json_response({})


@dataclass
class Console:
    client: TestClient
    rasa: FakeRasa
    redis: Any

    @property
    def origin(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"

    async def log_in(self, email: str, password: str = PASSWORD, **headers: str) -> Any:
        page = await (await self.client.get("/connexion")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        form = {"courriel": email, "mot_de_passe": password, "csrf": csrf[1]}
        return await self.client.post(
            "/connexion", data=form, allow_redirects=False, headers={"Origin": self.origin, **headers}
        )

    async def csrf(self) -> str:
        page = await (await self.client.get("/compte")).text()
        found = re.search(r'<meta name="csrf" content="([^"]+)"', page)
        assert found, "not logged in"
        return found[1]

    async def post(self, path: str, data: dict[str, str] | None = None, **headers: str) -> Any:
        token = await self.csrf()
        return await self.client.post(
            path,
            data=data or {},
            allow_redirects=False,
            headers={"Origin": self.origin, "X-CSRF-Token": token, "Accept": "application/json", **headers},
        )


@contextlib.asynccontextmanager
async def running_console(redis_url: str, redis: Any, content: Content) -> AsyncIterator[Console]:
    rasa = FakeRasa()
    rasa_server = TestServer(rasa.app())
    await rasa_server.start_server()
    delivery = MemberDelivery(
        SmsSender(TwilioSettings(), OptOuts(redis)),
        content,
        redis_url,
        rasa_url=str(rasa_server.make_url("")).rstrip("/"),
        rasa_token="",
    )
    app = make_app(
        desk=desk_of(redis),
        accounts=ClinicianAccounts(redis),
        audit=AuditLog(records()),
        delivery=delivery,
        content=content,
        timeout_seconds=300,
        rules=load_rules(ROOT / "content"),
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Console(client, rasa, redis)
    finally:
        await client.close()
        await rasa_server.close()


def run(redis_url: str, redis: Any, content: Content, scenario: Callable[[Console], Awaitable[None]]) -> None:
    async def main() -> None:
        async with running_console(redis_url, redis, content) as console:
            await scenario(console)

    asyncio.run(main())


def open_ticket(redis: Any, coop: str, conversation: str = "", created: float = 0.0) -> Ticket:
    ticket = Ticket(
        id=new_ticket_id(),
        conversation=conversation or "web-" + new_ticket_id(),
        channel="web",
        coop=coop,
        disposition="clinicien",
        reasons=["demande"],
        summary={"motif": f"mal de dos ({coop})"},
        member_number="VM-000101",
        member_name=f"Membre {coop}",
        created=created or time.time(),
    )
    return desk_of(redis).open(ticket)


def accounts(redis: Any) -> ClinicianAccounts:
    found = ClinicianAccounts(redis)
    for email, role, coops in (
        ("a@coop.example", "infirmiere", (COOP_A,)),
        ("a2@coop.example", "infirmiere", (COOP_A,)),
        ("b@coop.example", "medecin", (COOP_B,)),
        ("admin.a@coop.example", "admin", (COOP_A,)),
        ("fede@coop.example", "federation", ()),
        ("sans@coop.example", "infirmiere", ()),
    ):
        found.create(email, email.split("@")[0], role, PASSWORD, coops)
    return found


# --- Coops and roles ------------------------------------------------------------------------------


def test_a_clinician_sees_only_their_coops_tickets(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    mine, other = open_ticket(redis_client, COOP_A), open_ticket(redis_client, COOP_B)

    async def scenario(console: Console) -> None:
        assert (await console.log_in("a@coop.example")).status == 303
        queue = await (await console.client.get("/")).text()
        assert mine.id in queue and other.id not in queue
        for path in (f"/tickets/{other.id}", f"/flux/tickets/{other.id}"):
            assert (await console.client.get(path)).status == 404  # not 403: B's ticket is not revealed
        for action in ("prendre", "messages", "fermer", "reserver"):
            assert (await console.post(f"/tickets/{other.id}/{action}", {"texte": "x"})).status == 404
        assert (await console.client.get("/tickets/T000000-nexistepas")).status == 404  # reads the same
        assert desk_of(redis_client).get(other.id).status == "attente"  # type: ignore[union-attr]
        refused = AuditLog(records()).entries(actor="a@coop.example", ticket=other.id)
        assert len(refused) == 6 and {e["action"] for e in refused} == {"refus_autre_coop"}
        assert {e["coop"] for e in refused} == {COOP_B}  # B's admin sees the attempt on B's ticket
        assert (await console.post(f"/tickets/{mine.id}/prendre")).status == 200

    run(redis_url, redis_client, content, scenario)


def test_an_account_without_coops_sees_no_ticket(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    ticket = open_ticket(redis_client, COOP_A)

    async def scenario(console: Console) -> None:
        await console.log_in("sans@coop.example")
        assert ticket.id not in await (await console.client.get("/")).text()
        assert (await console.client.get(f"/tickets/{ticket.id}")).status == 404

    run(redis_url, redis_client, content, scenario)


def test_a_coop_admin_sees_no_clinical_content(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    ticket = open_ticket(redis_client, COOP_A)

    async def scenario(console: Console) -> None:
        await console.log_in("admin.a@coop.example")
        home = await console.client.get("/", allow_redirects=False)
        assert home.status == 303 and home.headers["Location"] == "/admin/journal"
        for path in (f"/tickets/{ticket.id}", f"/flux/tickets/{ticket.id}", "/flux/file"):
            assert (await console.client.get(path)).status == 403
        for action in ("prendre", "messages"):
            assert (await console.post(f"/tickets/{ticket.id}/{action}", {"texte": "x"})).status == 403
        journal = await console.client.get("/admin/journal")
        assert journal.status == 200 and "mal de dos" not in await journal.text()

    run(redis_url, redis_client, content, scenario)


def test_the_audit_page_follows_coops(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    audit = AuditLog(records())
    audit.access("a@coop.example", "consultation", "T-A", coop=COOP_A)
    audit.access("b@coop.example", "consultation", "T-B", coop=COOP_B)
    audit.record("verification_sms", "echec", "+18195550101")

    async def scenario(console: Console) -> None:
        await console.log_in("admin.a@coop.example")
        page = await (await console.client.get("/admin/journal")).text()
        assert "T-A" in page and "T-B" not in page
        assert (await console.client.get(f"/admin/journal?coop={COOP_B}")).status == 403
        security = await (await console.client.get("/admin/journal?type=securite")).text()
        assert "verification_sms" not in security  # a coop admin reads access events only
        assert (await console.client.get("/admin/comptes")).status == 403
        await console.post("/deconnexion")
        await console.log_in("fede@coop.example")
        page = await (await console.client.get("/admin/journal")).text()
        assert "T-A" in page and "T-B" in page
        assert "T-A" not in await (await console.client.get(f"/admin/journal?coop={COOP_B}")).text()
        security = await (await console.client.get("/admin/journal?type=securite")).text()
        assert "verification_sms" in security and "console.connexion" in security
        listed = await (await console.client.get("/admin/comptes")).text()
        assert "sans@coop.example" in listed and "aucune: ne voit rien" in listed

    run(redis_url, redis_client, content, scenario)


# --- Closed tickets -------------------------------------------------------------------------------


def test_a_closed_ticket_needs_break_glass(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    ticket = open_ticket(redis_client, COOP_A)
    desk = desk_of(redis_client)
    assert desk.claim(ticket.id, "a@coop.example", "a")
    desk.close(ticket.id, "resolu", "a")

    async def scenario(console: Console) -> None:
        await console.log_in("a@coop.example")
        assert (await console.client.get(f"/tickets/{ticket.id}")).status == 200  # who held it reads it
        await console.post("/deconnexion")
        await console.log_in("a2@coop.example")
        page = await console.client.get(f"/tickets/{ticket.id}")
        assert page.status == 403 and "Raison de l'accès" in await page.text() and "mal de dos" not in await page.text()
        assert (await console.client.get(f"/flux/tickets/{ticket.id}")).status == 403
        assert (await console.post(f"/tickets/{ticket.id}/bris-de-verre", {"raison": "court"})).status == 400
        reason = "Rappel du membre, suivi de la fièvre"
        granted = await console.post(f"/tickets/{ticket.id}/bris-de-verre", {"raison": reason})
        assert granted.status == 303
        page = await console.client.get(f"/tickets/{ticket.id}")
        assert page.status == 200 and "mal de dos" in await page.text()
        logged = AuditLog(records()).entries(actor="a2@coop.example", ticket=ticket.id)
        assert any(e["action"] == "bris_de_verre" and e["detail"] == reason for e in logged)
        await console.post("/deconnexion")
        await console.log_in("b@coop.example")  # another coop: no break-glass either, just missing
        assert (await console.post(f"/tickets/{ticket.id}/bris-de-verre", {"raison": reason})).status == 404

    run(redis_url, redis_client, content, scenario)


# --- The transcript -------------------------------------------------------------------------------


def test_the_transcript_is_the_episode_with_identity_masked(
    redis_url: str, redis_client: Any, content: Content
) -> None:
    accounts(redis_client)
    now = time.time()
    conversation = "web-episode-test"

    def user(text: str, at: float) -> dict[str, Any]:
        return {"event": "user", "text": text, "timestamp": at}

    def bot(text: str, at: float) -> dict[str, Any]:
        return {"event": "bot", "text": text, "timestamp": at}

    events = [
        user("ancienne demande: mal aux oreilles", now - 900),
        {"event": "slot", "name": "triage_episode", "value": [], "timestamp": now - 800},
        user("je veux parler a une infirmiere", now - 60),
        bot(content.say("identite.numero", "fr", COOP_A), now - 59),
        user("VM-000457", now - 58),
        bot(content.say("identite.naissance", "fr", COOP_A), now - 57),
        user("3 avril 1948", now - 56),
        bot(content.say("identite.code", "fr", COOP_A), now - 55),
        user("482913", now - 54),
        user("depuis ce matin, mon numero est HL-000222", now - 30),
    ]
    ticket = open_ticket(redis_client, COOP_A, conversation, created=now - 10)

    async def scenario(console: Console) -> None:
        console.rasa.events[conversation] = events
        await console.log_in("a@coop.example")
        page = await (await console.client.get(f"/tickets/{ticket.id}")).text()
        assert "je veux parler a une infirmiere" in page and "depuis ce matin" in page
        assert "mal aux oreilles" not in page  # an earlier episode
        for typed in ("VM-000457", "1948", "482913", "HL-000222"):
            assert typed not in page.split('<ol class="transcription"')[1], typed
        for shown in MASKS.values():
            assert shown in page

    run(redis_url, redis_client, content, scenario)


# --- Schedules ------------------------------------------------------------------------------------


def test_a_nurse_publishes_as_a_nurse_in_her_coops(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    day = (datetime.now(QUEBEC) + timedelta(days=3)).strftime("%Y-%m-%d")

    async def scenario(console: Console) -> None:
        await console.log_in("a@coop.example")
        form = {"jour": day, "debut": "09:00", "fin": "12:00", "type": "medecin", "modalites": "video"}
        await console.post("/horaire", {**form, "coop": COOP_A})
        await console.post("/horaire", {**form, "coop": COOP_B, "debut": "13:00", "fin": "15:00"})
        mine = {**form, "coop": COOP_A, "clinicien": "b@coop.example", "debut": "16:00", "fin": "18:00"}
        await console.post("/horaire", mine)
        now = datetime.now(QUEBEC)
        blocks = Availability(records()).blocks(now, now + timedelta(days=5))
        assert [(b.clinician, b.clinician_type, b.coop) for b in blocks] == [
            ("a@coop.example", "infirmiere", COOP_A),
            ("a@coop.example", "infirmiere", COOP_A),
        ]  # the form's type, another coop and another clinician are ignored or refused

    run(redis_url, redis_client, content, scenario)


# --- Live streams ---------------------------------------------------------------------------------


async def _read_until(response: Any, marker: bytes, seconds: float = 8) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while marker not in seen and time.monotonic() < deadline:
        chunk = await asyncio.wait_for(response.content.readany(), timeout=seconds)
        if not chunk:
            break
        seen += chunk
    return seen


def test_streams_end_with_the_session(redis_url: str, redis_client: Any, content: Content) -> None:
    found = accounts(redis_client)
    ticket = open_ticket(redis_client, COOP_A)
    desk = desk_of(redis_client)

    async def scenario(console: Console) -> None:
        await console.log_in("a@coop.example")
        queue = await console.client.get("/flux/file")
        assert b"event: file" in await _read_until(queue, b"event: file")
        assert desk.on_duty() == 1
        thread = await console.client.get(f"/flux/tickets/{ticket.id}")
        assert thread.status == 200
        opened = AuditLog(records()).entries(actor="a@coop.example", ticket=ticket.id)
        assert [e["action"] for e in opened] == ["flux"]
        found.set_password("a@coop.example", "un tout nouveau mot de passe")  # ends every session
        assert b"event: fin" in await _read_until(queue, b"event: fin")
        assert b"event: fin" in await _read_until(thread, b"event: fin")
        await asyncio.sleep(0.2)
        assert desk.on_duty() == 0  # the closed stream no longer keeps the clinician on duty

    run(redis_url, redis_client, content, scenario)


def test_a_password_change_ends_the_other_sessions(redis_url: str, redis_client: Any, content: Content) -> None:
    found = accounts(redis_client)

    async def scenario(console: Console) -> None:
        other = found.log_in("a@coop.example", PASSWORD)[1]
        assert other is not None
        await console.log_in("a@coop.example")
        new = "un tout nouveau mot de passe"
        changed = await console.post("/compte", {"actuel": PASSWORD, "nouveau": new, "confirmation": new})
        assert changed.status == 303
        assert found.session(other.token) is None  # the other session ended
        assert (await console.client.get("/compte")).status == 200  # this one goes on
        assert found.log_in("a@coop.example", new)[0] == "ok"

    run(redis_url, redis_client, content, scenario)


# --- Login ----------------------------------------------------------------------------------------


def test_the_login_form_needs_its_csrf_token_and_origin(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)

    async def scenario(console: Console) -> None:
        form = {"courriel": "a@coop.example", "mot_de_passe": PASSWORD}
        no_token = await console.client.post(
            "/connexion", data=form, allow_redirects=False, headers={"Origin": console.origin}
        )
        assert no_token.status == 403
        page = await (await console.client.get("/connexion")).text()
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        with_token = {**form, "csrf": token[1]}
        assert (await console.client.post("/connexion", data=with_token, allow_redirects=False)).status == 403
        elsewhere = {"Referer": "http://ailleurs.example/connexion"}
        refused = await console.client.post("/connexion", data=with_token, allow_redirects=False, headers=elsewhere)
        assert refused.status == 403
        referer = {"Referer": console.origin + "/connexion"}
        accepted = await console.client.post("/connexion", data=with_token, allow_redirects=False, headers=referer)
        assert accepted.status == 303  # no Origin, but a Referer of the console itself

    run(redis_url, redis_client, content, scenario)


def test_a_post_without_origin_is_refused(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    ticket = open_ticket(redis_client, COOP_A)

    async def scenario(console: Console) -> None:
        await console.log_in("a@coop.example")
        token = await console.csrf()
        bare = await console.client.post(
            f"/tickets/{ticket.id}/prendre", headers={"X-CSRF-Token": token}, allow_redirects=False
        )
        assert bare.status == 403
        assert desk_of(redis_client).get(ticket.id).status == "attente"  # type: ignore[union-attr]

    run(redis_url, redis_client, content, scenario)


def test_a_stranger_slows_logins_down_but_cannot_lock_the_owner_out(
    redis_url: str, redis_client: Any, content: Content
) -> None:
    found = accounts(redis_client)
    for _ in range(6):
        assert found.log_in("a@coop.example", "mauvais", source="203.0.113.9")[0] == "refused"
    assert found.throttle.delay("a@coop.example", "198.51.100.7") == 8.0  # 2 ** (6 - 3)
    assert found.throttle.delay("x@coop.example", "203.0.113.9") == 8.0  # the source too
    assert found.log_in("a@coop.example", PASSWORD, source="198.51.100.7")[0] == "ok"  # the owner gets in
    assert found.throttle.delay("a@coop.example", "198.51.100.7") == 0.0
    for _ in range(30):
        found.throttle.fail("z@coop.example", "203.0.113.9")
    assert found.throttle.delay("z@coop.example", "198.51.100.7") == 16.0  # capped

    async def scenario(console: Console) -> None:
        for _ in range(50):
            found.throttle.fail("y@coop.example", "127.0.0.1")
        assert found.throttle.blocked("127.0.0.1")  # a hard cap per source address
        started = time.monotonic()
        answer = await console.log_in("a@coop.example")
        assert answer.status == 429 and time.monotonic() - started < 5
        security = AuditLog(records()).entries("security", actor="a@coop.example")
        assert security[0]["event"] == "console.connexion" and security[0]["outcome"] == "bloquee"

    run(redis_url, redis_client, content, scenario)


def test_logins_wait_longer_after_failures(redis_url: str, redis_client: Any, content: Content) -> None:
    found = accounts(redis_client)
    for _ in range(4):
        found.throttle.fail("a@coop.example", "203.0.113.9")

    async def scenario(console: Console) -> None:
        started = time.monotonic()
        assert (await console.log_in("a@coop.example")).status == 303
        assert time.monotonic() - started >= 2.0  # 2 ** (4 - 3) s before answering, then in

    run(redis_url, redis_client, content, scenario)


def test_an_unknown_email_costs_the_same_scrypt(redis_client: Any) -> None:
    found = accounts(redis_client)
    started = time.perf_counter()
    assert found.log_in("a@coop.example", "mauvais")[0] == "refused"
    known = time.perf_counter() - started
    started = time.perf_counter()
    assert found.log_in("personne@coop.example", "mauvais")[0] == "refused"
    unknown = time.perf_counter() - started
    assert unknown > known * 0.5, (known, unknown)


def test_a_forged_forwarded_for_does_not_escape_the_source_cap(
    redis_url: str, redis_client: Any, content: Content
) -> None:
    found = accounts(redis_client)
    for _ in range(50):
        found.throttle.fail("y@coop.example", "127.0.0.1")

    async def scenario(console: Console) -> None:
        answer = await console.log_in("a@coop.example", **{"X-Forwarded-For": "192.0.2.44"})
        assert answer.status == 429  # the header is trusted only behind a proxy that sets it

    run(redis_url, redis_client, content, scenario)


# --- The transcript, as functions -----------------------------------------------------------------


def test_identity_answers_are_masked(content: Content) -> None:
    prompts = identity_prompts(content)
    assert mask("le 3 avril 1948", "naissance") == MASKS["naissance"]  # asked: whatever the answer
    assert mask("3 avril 1948", None) == MASKS["naissance"]  # a date alone
    assert mask("482913", None) == MASKS["code"]
    assert mask("ma carte dit VM-000457 je crois", None) == f"ma carte dit {MASKS['numero']} je crois"
    assert mask("le 3 mars 2024 j'ai eu mal au ventre toute la nuit", None).startswith("le 3 mars 2024")
    assert mask("depuis 2 jours", None) == "depuis 2 jours"
    assert any("date de naissance" in p for p in prompts["naissance"])
    assert any("date of birth" in p for p in prompts["naissance"])  # English too


def test_a_closed_tickets_transcript_ends_at_its_closing() -> None:
    ticket = Ticket("T1", "web-1", "web", COOP_A, "clinicien", [], {}, created=100.0, closed_at=200.0)
    events = [
        {"event": "user", "text": "avant", "timestamp": 10.0},
        {"event": "session_started", "timestamp": 50.0},
        {"event": "user", "text": "pendant", "timestamp": 90.0},
        {"event": "bot", "text": "réponse", "timestamp": 150.0, "metadata": {"clinicien": "Marie (infirmière)"}},
        {"event": "user", "text": "après", "timestamp": 300.0},
    ]
    lines = transcript_lines(events, ticket, {})
    assert [(line["qui"], line["texte"]) for line in lines] == [
        ("membre", "pendant"),
        ("Marie (infirmière)", "réponse"),
    ]


def test_the_audit_page_pages_older_and_newer(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts(redis_client)
    audit = AuditLog(records())
    for index in range(120):
        audit.access("a@coop.example", "consultation", f"T-{index:03d}", coop=COOP_A)

    async def scenario(console: Console) -> None:
        await console.log_in("admin.a@coop.example")
        first = await (await console.client.get("/admin/journal?dossier=")).text()
        assert "T-119" in first and "T-069" not in first
        older = re.search(r'href="(/admin/journal\?[^"]+)">Plus anciens', first)
        assert older
        second = await (await console.client.get(older[1].replace("&amp;", "&"))).text()
        assert "T-069" in second and "T-119" not in second
        newer = re.search(r'href="(/admin/journal\?[^"]+)">Plus récents', second)
        assert newer
        back = await (await console.client.get(newer[1].replace("&amp;", "&"))).text()
        assert "T-119" in back and "T-069" not in back

    run(redis_url, redis_client, content, scenario)


def test_accounts_are_made_with_their_coops(redis_url: str, redis_client: Any, monkeypatch: Any) -> None:
    from ops.console_user import main

    monkeypatch.setenv("REDIS_URL", redis_url)
    assert main(["add", "n@coop.example", "--name", "N", "--role", "infirmiere"]) == 2  # a coop is needed
    assert main(["add", "n@coop.example", "--name", "N", "--role", "infirmiere", "--coop", "nulle-part"]) == 2
    assert main(["add", "n@coop.example", "--name", "N", "--role", "infirmiere", "--coop", COOP_A]) == 0
    assert main(["coops", "n@coop.example", "--coop", COOP_A, "--coop", COOP_B]) == 0
    assert main(["add", "f@coop.example", "--name", "F", "--role", "federation"]) == 0
    found = ClinicianAccounts(redis_client)
    assert found.get("n@coop.example").coops == (COOP_A, COOP_B)  # type: ignore[union-attr]
    assert found.get("f@coop.example").is_federation  # type: ignore[union-attr]


def test_the_login_forms_token_is_bound_to_its_cookie_and_expires(redis_client: Any) -> None:
    found = ClinicianAccounts(redis_client)
    cookie, token = found.pre_session()
    other_cookie, other_token = found.pre_session()
    assert found.pre_session_matches(cookie, token) and found.pre_session_matches(other_cookie, other_token)
    assert not found.pre_session_matches(cookie, other_token)  # another visitor's token
    assert not found.pre_session_matches(cookie, "") and not found.pre_session_matches("", token)
    stale = f"{int(time.time()) - 2 * 3600}.{cookie.partition('.')[2]}"
    assert not found.pre_session_matches(stale, found._pre_csrf(stale))  # older than an hour
