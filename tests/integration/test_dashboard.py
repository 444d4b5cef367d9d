"""The coop manager's dashboard over real HTTP and a real PostgreSQL: a manager of coop A sees coop A's
figures only, and they are what this test computes from the records it created (conversations,
dispositions, waits, bookings); small counts are suppressed; the CSV holds the page's cells; every view
is audited; a manager opens no ticket. Also: the service record keeps no identity, its retention, and
the clinicians' no-show mark."""

from __future__ import annotations

import csv
import io
import re
import statistics
from datetime import datetime, time, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import text as sql

from bot.booking.availability import QUEBEC, Availability, Block, Slot
from bot.booking.store import BookingStore
from bot.content import Content
from bot.handoff.clinicians import ClinicianAccounts
from bot.handoff.desk import Ticket, new_ticket_id
from bot.platform.audit import AuditLog
from bot.records.service_records import RETENTION_DAYS, ServiceRecords, Turn, clean_question, service_channel
from bot.records.service_report import LEVEL, count, last_complete_week, share
from tests.integration.test_console_access import (  # noqa: F401  (_database: the engine, for the console's stores)
    COOP_A,
    COOP_B,
    PASSWORD,
    Console,
    _database,
    desk_of,
    records,
    run,
)

# The last complete week: the page's default, and recent enough that no record is past its retention.
WEEK = last_complete_week(datetime.now(QUEBEC).date())
MONDAY = WEEK.start
TARGET = 300  # the console's no-answer timeout in running_console: the coop's answering target
FAX = "C'est quoi le numéro du fax de la clinique?"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(MONDAY + timedelta(days=day), time(hour, minute), QUEBEC)


# --- The records a test creates -------------------------------------------------------------------


def service_turns() -> list[Turn]:
    """Coop A: 12 SMS conversations (8 identified members), 6 web, 2 phone; coop B: its own."""
    turns: list[Turn] = []
    dispositions = ["info"] * 9 + ["clinicien"] * 5 + ["urgence"] * 2 + ["911", "crise", "consultation", "info"]
    for i in range(20):
        channel = "sms" if i < 12 else "web" if i < 18 else "voice"
        sender = f"+1819555{i:04d}" if channel != "web" else f"web-session-{i}"
        member = f"VM-{i:06d}" if i < 8 or 12 <= i < 18 else ""
        disposition = dispositions[i]
        base = dict(coop=COOP_A, channel=channel, conversation=sender, member=member, disposition=disposition)
        first = {"topic": "heures", "handed": "reponse"} if i < 7 else {}
        turns.append(Turn(at=at(i % 7, 9 + i % 8), **first, **base))  # type: ignore[arg-type]
        if disposition == "clinicien":
            turns.append(Turn(at=at(i % 7, 10), handed="relais", **base))  # type: ignore[arg-type]
        if disposition in ("911", "crise", "urgence"):
            turns.append(Turn(at=at(i % 7, 11), handed="ressources", **base))  # type: ignore[arg-type]
        if i < 6:  # the same question, by 6 consenting members: shown (masked)
            turns.append(Turn(at=at(i % 7, 12), handed="incompris", fallback=True, question=FAX, **base))  # type: ignore[arg-type]
        elif i < 8:  # another, by 2: counted, never shown
            turns.append(Turn(at=at(i % 7, 12), handed="incompris", fallback=True, question="rare 123", **base))  # type: ignore[arg-type]
        elif i == 8:  # no consent: no text at all
            turns.append(Turn(at=at(1, 13), handed="incompris", fallback=True, **base))  # type: ignore[arg-type]
        if 9 <= i < 12:
            turns.append(Turn(at=at(2, 14), topic="vaccin_grippe", handed="reponse", **base))  # type: ignore[arg-type]
    for i in range(9):  # coop B, same week: none of it may reach A's page
        base = dict(coop=COOP_B, channel="sms", conversation=f"+1450555{i:04d}", member=f"HL-{i:06d}")
        turns.append(Turn(at=at(3, 10), disposition="clinicien", handed="relais", topic="sujet_de_b", **base))  # type: ignore[arg-type]
        turns.append(Turn(at=at(3, 11), fallback=True, handed="incompris", question="question de la coop b", **base))  # type: ignore[arg-type]
    turns.append(Turn(at=at(9, 10), coop=COOP_A, channel="sms", conversation="+18195559999"))  # the week after
    return turns


WAITS_A = [60, 120, 180, 240, 600, 900]  # seconds from ticket to claim; one more ticket is never claimed


def tickets(redis: Any) -> dict[str, Ticket]:
    desk = desk_of(redis)
    made: dict[str, Ticket] = {}
    cases: list[tuple[str, float | None, datetime]] = [(COOP_A, w, at(i % 5, 9 + i)) for i, w in enumerate(WAITS_A)]
    cases += [(COOP_A, None, at(4, 22)), (COOP_B, 10_000.0, at(2, 9))]
    for coop, wait, created in cases:
        ticket = desk.open(
            Ticket(
                id=new_ticket_id(),
                conversation=f"web-{new_ticket_id()}",
                channel="web",
                coop=coop,
                disposition="clinicien",
                reasons=["demande"],
                summary={"motif": "Nom Secret du membre"},
                member_number="VM-777777",
                member_name="Nom Secret",
                created=created.timestamp(),
            )
        )
        with records().begin() as connection:
            if wait is None:
                connection.execute(
                    sql("UPDATE handoff_tickets SET wait_notice_sent = true WHERE id = :id"), {"id": ticket.id}
                )
            else:
                connection.execute(
                    sql(
                        "UPDATE handoff_tickets SET status = 'pris', claimed_by = 'x@coop.example',"
                        " claimed_at = created_at + make_interval(secs => :wait) WHERE id = :id"
                    ),
                    {"id": ticket.id, "wait": wait},
                )
        made[ticket.id] = ticket
    return made


def bookings() -> dict[str, Any]:
    """Coop A: a 4-hour block (240 min) on Tuesday, 8 doctor's bookings of 15 min in it: 1 cancelled, 1 moved
    (to a 9th), 1 no-show; coop B: its own block and booking."""
    availability, store = Availability(records()), BookingStore(records())
    block = Block("dre@coop.example", "medecin", COOP_A, ("video",), at(1, 8), at(1, 12))
    availability.add([block, Block("b@coop.example", "medecin", COOP_B, ("video",), at(1, 8), at(1, 16))])
    made = []
    for n in range(9):
        slot = Slot("dre@coop.example", "medecin", COOP_A, ("video",), at(1, 8, 0) + timedelta(minutes=15 * n), 15)
        booking = store.book(
            slot,
            member_number=f"VM-{n:06d}",
            member_name="Nom Secret",
            conversation=f"+1819555{n:04d}",
            channel="sms",
            need="consultation",
            summary={},
            modality="video",
            created=at(0, 8).timestamp() if n < 7 else at(-3, 8).timestamp(),  # 2 were made the week before
            booked_by="membre" if n < 5 else "dre@coop.example",
        )
        assert booking is not None
        made.append(booking)
    store.cancel(made[0])
    store.cancel(made[1], moved_to=made[8].id)
    assert store.mark_no_show(made[2].id, "dre@coop.example", datetime.now(QUEBEC))
    slot_b = Slot("b@coop.example", "medecin", COOP_B, ("video",), at(1, 9), 15)
    store.book(
        slot_b, member_number="HL-1", member_name="B", conversation="+14505550000", channel="sms", need="consultation",
        summary={}, modality="video", created=at(0, 9).timestamp(),
    )  # fmt: skip
    return {"made": 7, "by_member": 5, "scheduled": 9, "cancelled": 1, "moved": 1, "no_shows": 1, "booked": 7 * 15}


def create_records(redis: Any) -> list[Turn]:
    turns = service_turns()
    ServiceRecords(records()).record_many(turns)
    tickets(redis)
    return turns


# --- What the test expects, computed from those records -------------------------------------------


def expected_channels(turns: list[Turn]) -> dict[str, tuple[str, str, str]]:
    start, end = WEEK.bounds
    mine = [t for t in turns if t.coop == COOP_A and start <= t.at < end]
    found = {}
    for channel, label in (("sms", "Texto (SMS)"), ("web", "Clavardage (web)"), ("voice", "Téléphone"), ("", "Total")):
        some = [t for t in mine if not channel or service_channel(t.channel, t.conversation) == channel]
        conversations = len({t.conversation for t in some})
        members = len({t.member for t in some if t.member})
        found[label] = (count(conversations), count(members), count(len(some)))
    return found


def expected_dispositions(turns: list[Turn]) -> dict[str, tuple[str, ...]]:
    start, end = WEEK.bounds
    by_conversation: dict[str, list[Turn]] = {}
    for t in turns:
        if t.coop == COOP_A and start <= t.at < end:
            by_conversation.setdefault(t.conversation, []).append(t)
    labels = {"911": "911", "crise": "Crise", "urgence": "Urgence", "clinicien": "Clinicien"}
    labels |= {"consultation": "Consultation", "info": "Information"}
    found = {}
    for disposition, label in labels.items():
        group = [ts for ts in by_conversation.values() if max(LEVEL[t.disposition] for t in ts) == LEVEL[disposition]]
        handed = [sum(1 for ts in group if any(t.handed == h for t in ts)) for h in ("relais", "ressources", "reponse")]
        handed.append(sum(1 for ts in group if any(t.fallback for t in ts)))
        found[label] = tuple(count(n) for n in (len(group), *handed))
    return found


def minutes_text(seconds: float) -> str:
    return f"{seconds / 60:.1f}".replace(".", ",") + " min"


# --- Reading the page -----------------------------------------------------------------------------


class Tables(HTMLParser):
    """Each `<table data-tableau=...>`: its rows as (row header, cells)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        self.captions: dict[str, str] = {}
        self.current = ""
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.in_body = False
        self.in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.current = dict(attrs).get("data-tableau") or ""
            self.tables[self.current] = []
        elif tag == "caption":
            self.in_caption, self.captions[self.current] = True, ""
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self.in_caption = False
        elif tag == "tbody":
            self.in_body = False
        elif tag in ("td", "th") and self.row is not None and self.cell is not None:
            self.row.append("".join(self.cell).strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if len(self.row) > 1:
                self.tables[self.current].append((self.row[0], tuple(self.row[1:])))
            self.row = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)
        elif self.in_caption:
            self.captions[self.current] += data


def read_tables(html: str) -> Tables:
    parser = Tables()
    parser.feed(html)
    return parser


def manager(redis: Any, email: str = "gestion.a@coop.example", coops: tuple[str, ...] = (COOP_A,)) -> str:
    ClinicianAccounts(redis).create(email, "Gestion A", "gestionnaire", PASSWORD, coops)
    return email


# --- Tests ----------------------------------------------------------------------------------------


def test_a_manager_of_coop_a_sees_coop_a_figures_as_computed_from_the_records(
    redis_url: str, redis_client: Any, content: Content
) -> None:
    turns = create_records(redis_client)
    expected_bookings = bookings()
    email = manager(redis_client)

    async def scenario(console: Console) -> None:
        assert (await console.log_in(email)).headers["Location"] == "/"
        home = await console.client.get("/", allow_redirects=False)
        assert home.status == 303 and home.headers["Location"] == "/tableau"  # a manager's home page
        page = await (await console.client.get(f"/tableau?periode=semaine&debut={MONDAY}")).text()
        found = read_tables(page)
        assert read_tables(await (await console.client.get("/tableau")).text()).tables == found.tables  # default

        assert dict(found.tables["canaux"]) == expected_channels(turns)
        assert dict(found.tables["canaux"])["Téléphone"] == ("< 5", "0", "< 5")  # 2 calls: suppressed
        assert dict(found.tables["dispositions"]) == expected_dispositions(turns)

        relais = dict(found.tables["relais"])
        waits = sorted(WAITS_A)
        p90 = statistics.quantiles(waits, n=10, method="inclusive")[-1]
        assert relais["Demandes de clinicien"] == ("7",)
        assert relais["Prises en charge"] == ("6",)
        assert relais["Attente avant prise en charge, médiane"] == (minutes_text(statistics.median(waits)),)
        assert relais["Attente avant prise en charge, 90e centile"] == (minutes_text(p90),)
        assert relais["Prises en charge dans la cible (5 min)"] == (share(sum(w <= TARGET for w in waits), 7),)
        assert relais["Avis de non-réponse envoyés au membre"] == ("< 5",)
        hours = dict(found.tables["relais_heures"])
        assert hours["09 h"] == ("< 5", "n < 5", "0") and hours["03 h"] == ("0", "n < 5", "0")

        rdv = dict(found.tables["rendez_vous"])
        assert rdv["Rendez-vous pris dans la période"] == (count(expected_bookings["made"]),)
        assert rdv["… par le membre avec l'assistant"] == (count(expected_bookings["by_member"]),)
        assert rdv["Rendez-vous prévus dans la période"] == (count(expected_bookings["scheduled"]),)
        assert rdv["Annulés"] == rdv["Déplacés"] == rdv["Absences notées par les cliniciens"] == ("< 5",)
        assert rdv["Taux d'absence"] == (share(1, 9 - 1 - 1),)
        assert rdv["Taux de remplissage des disponibilités publiées"] == (
            f"{round(100 * expected_bookings['booked'] / 240)} %",
        )

        understood = dict(found.tables["comprehension"])
        answered = sum(1 for t in turns if t.coop == COOP_A and t.topic and t.at < WEEK.bounds[1])
        fallbacks = sum(1 for t in turns if t.coop == COOP_A and t.fallback)
        assert understood["Répondues par le bot"] == (count(answered),)
        assert understood["Non comprises"] == (count(fallbacks),)
        assert understood["Taux de non-compréhension"] == (share(fallbacks, answered + fallbacks),)
        assert dict(found.tables["questions"]) == {clean_question(FAX): ("6",)}  # "rare ###" (2) is not shown
        assert "numéro du fax" in page and "rare" not in page

        # Nothing of coop B, and no identity anywhere on the page.
        for secret in ("sujet_de_b", "question de la coop b", "Nom Secret", "VM-", "+1819", "web-session"):
            assert secret not in page
        assert "10000" not in page and "166,7" not in page  # B's wait

        # A manager opens no ticket, reads no queue, and sees no other coop's figures.
        some_ticket = next(iter(tickets(redis_client)))
        for path in (f"/tickets/{some_ticket}", f"/flux/tickets/{some_ticket}", "/flux/file", "/horaire"):
            assert (await console.client.get(path, allow_redirects=False)).status == 403
        assert (await console.post(f"/tickets/{some_ticket}/prendre")).status == 403
        assert (await console.client.get(f"/tableau?coop={COOP_B}")).status == 403
        assert (await console.client.get("/admin/journal")).status == 403

        # Every view is audited, with its coop.
        seen = AuditLog(records()).entries(actor=email)
        assert {(e["action"], e["coop"]) for e in seen} >= {("tableau", COOP_A)}
        assert any(e["detail"] == f"semaine {MONDAY}" for e in seen)

    run(redis_url, redis_client, content, scenario)


def test_the_csv_export_holds_the_page_cells(redis_url: str, redis_client: Any, content: Content) -> None:
    create_records(redis_client)
    bookings()
    email = manager(redis_client, coops=(COOP_A, COOP_B))

    async def scenario(console: Console) -> None:
        await console.log_in(email)
        query = f"periode=semaine&debut={MONDAY}"
        page = read_tables(await (await console.client.get(f"/tableau?{query}")).text())
        answer = await console.client.get(f"/tableau.csv?{query}")
        assert answer.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in answer.headers["Content-Disposition"]
        lines = list(csv.reader(io.StringIO(await answer.text())))
        sunday = (MONDAY + timedelta(days=6)).isoformat()
        assert lines[1] == ["semaine", MONDAY.isoformat(), sunday, f"{COOP_A} {COOP_B}"]
        cells = [tuple(line) for line in lines[4:]]
        from_page = []
        for key, rows in page.tables.items():
            headers = CSV_COLUMNS[key]
            for label, values in rows:
                from_page += [(page.captions[key], label, h, v) for h, v in zip(headers, values, strict=True)]
        assert cells == from_page and len(cells) > 60
        # Both coops: B's topic is there now; its figures add to A's.
        assert any(c[1] == "sujet_de_b" for c in cells)
        assert dict(page.tables["relais"])["Demandes de clinicien"] == ("8",)
        audited = {(e["action"], e["coop"]) for e in AuditLog(records()).entries(actor=email)}
        assert {("tableau_csv", COOP_A), ("tableau_csv", COOP_B)} <= audited

    run(redis_url, redis_client, content, scenario)


CSV_COLUMNS = {
    "canaux": ("Conversations", "Membres identifiés", "Messages"),
    "dispositions": (
        "Conversations",
        "Confiées à un clinicien",
        "Ressources d'urgence données",
        "Réponse du bot",
        "Non compris",
    ),
    "relais": ("Valeur",),
    "relais_heures": ("Demandes", "Attente médiane", "Avis de non-réponse"),
    "rendez_vous": ("Valeur",),
    "comprehension": ("Valeur",),
    "sujets": ("Réponses",),
    "questions": ("Fois",),
}


def test_other_roles_do_not_see_the_dashboard(redis_url: str, redis_client: Any, content: Content) -> None:
    accounts = ClinicianAccounts(redis_client)
    for email, role in (
        ("inf@coop.example", "infirmiere"),
        ("adm@coop.example", "admin"),
        ("fed@coop.example", "federation"),
    ):
        accounts.create(email, email, role, PASSWORD, (COOP_A,) if role != "federation" else ())

    async def scenario(console: Console) -> None:
        for email in ("inf@coop.example", "adm@coop.example", "fed@coop.example"):
            await console.log_in(email)
            for path in ("/tableau", "/tableau.csv"):
                assert (await console.client.get(path)).status == 403, (email, path)

    run(redis_url, redis_client, content, scenario)


def test_a_clinician_marks_a_no_show_on_their_own_past_booking(
    redis_url: str, redis_client: Any, content: Content
) -> None:
    ClinicianAccounts(redis_client).create("dre@coop.example", "Dre", "medecin", PASSWORD, (COOP_A,))
    ClinicianAccounts(redis_client).create("autre@coop.example", "Autre", "medecin", PASSWORD, (COOP_A,))
    store = BookingStore(records())
    now = datetime.now(QUEBEC).replace(second=0, microsecond=0)
    past, future = (
        store.book(
            Slot("dre@coop.example", "medecin", COOP_A, ("video",), now + delta, 15),
            member_number="VM-1", member_name="Membre Un", conversation="+18195550001", channel="sms",
            need="consultation", summary={}, modality="video",
        )
        for delta in (timedelta(hours=-2), timedelta(days=1))
    )  # fmt: skip
    assert past and future

    async def scenario(console: Console) -> None:
        await console.log_in("autre@coop.example")
        assert (await console.post(f"/rendez-vous/{past.id}/absence")).status == 404  # not theirs
        await console.log_in("dre@coop.example")
        page = await (await console.client.get("/rendez-vous")).text()
        assert "Membre Un" in page and "Noter une absence" in page
        assert (await console.post(f"/rendez-vous/{future.id}/absence")).status == 303  # not started: no mark
        assert (await console.post(f"/rendez-vous/{past.id}/absence")).status == 303
        assert "Absence notée" in await (await console.client.get("/rendez-vous")).text()

    run(redis_url, redis_client, content, scenario)
    with records().connect() as connection:
        marks = dict(connection.execute(sql("SELECT id, no_show_by FROM bookings")).all())
    assert marks == {past.id: "dre@coop.example", future.id: None}


def test_the_service_record_keeps_no_identity_and_expires(redis_client: Any) -> None:
    engine = records()
    service = ServiceRecords(engine)
    now = datetime.now(QUEBEC)
    service.record(
        Turn(COOP_A, "sms", now, "+18195550101", member="VM-000101", fallback=True,
             question="Mon numéro est 819-555-0101, courriel a@b.ca, VM-000101, né le 1948-03-12")
    )  # fmt: skip
    service.record(Turn(COOP_A, "web", now - timedelta(days=RETENTION_DAYS + 1), "web-old"))
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(sql("SELECT * FROM service_events ORDER BY id"))]
    stored = " ".join(str(v) for row in rows for v in row.values())
    for secret in ("8195550101", "555-0101", "VM-000101", "a@b.ca", "1948", "web-old"):
        assert secret not in stored
    assert rows[0]["hour"].minute == 0 and rows[0]["question"].startswith("mon numéro est [tel]")
    assert service.purge_expired(datetime.now(QUEBEC)) == 1
    with pytest.raises(Exception, match="service_events_question_when"), engine.begin() as connection:
        connection.execute(
            sql(
                "INSERT INTO service_events (coop, channel, hour, conversation_key, question)"
                " VALUES ('a', 'sms', date_trunc('hour', now()), 'k', 'texte')"
            )
        )


def test_page_shows_no_digits_of_identity_patterns() -> None:
    """A guard on the page's own vocabulary: the masked question keeps no digit."""
    assert clean_question("appelez-moi au 450 555 1234 svp") == "appelez-moi au [tel] svp"
    assert re.search(r"\d", clean_question("rdv le 12 pour 3 personnes") or "") is None
