"""A fictional week of service for the managers' dashboard (make run, on its embedded PostgreSQL only).

    python -m tools.demo_service --demo-if-empty   # the last complete week, when no service record exists

What it writes, for the demo coops and the last complete week (Monday to Sunday): the service record
of about 400 conversations by SMS, web chat and phone (dispositions, answers by topic, questions not
understood, a few of them consented), closed handoff tickets with their waits, the week's published
availability and its bookings (some cancelled, moved or marked no-show). No real person: sender ids
and member numbers are made up, and tickets and bookings name nobody. The figures are drawn from a
fixed seed, so two runs on an empty database give the same week.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from bot.booking.availability import QUEBEC, Availability, Slot, demo_blocks, slots_of
from bot.booking.store import BookingStore
from bot.handoff.desk import HandoffDesk, Ticket, TicketStatus
from bot.platform.redis_clients import sync_client
from bot.platform.settings import load_settings
from bot.records.database import engine_for
from bot.records.service_records import ServiceRecords, Turn
from bot.records.service_report import last_complete_week
from bot.triage.dispositions import is_emergency

SEED = 20
COOPS = {"val-morin": 1.0, "hautes-laurentides": 0.6}  # relative traffic
CHANNELS = (("sms", 0.55), ("web", 0.35), ("voice", 0.10))
DISPOSITIONS: tuple[tuple[str, float], ...] = (("info", 0.62), ("clinicien", 0.16), ("consultation", 0.12))
DISPOSITIONS += (("urgence", 0.06), ("crise", 0.02), ("911", 0.02))
TOPICS = (
    ("heures", 30),
    ("vaccin_grippe", 18),
    ("renouvellement", 15),
    ("prise_de_sang", 12),
    ("frais_non_assures", 8),
    ("medecin_famille", 8),
    ("adresse", 8),
    ("rhume", 7),
    ("fievre_enfant", 5),
)
QUESTIONS = (  # what consenting members asked that the bot did not understand (fictional)
    ("est-ce que vous prenez les nouveaux patients", 7),
    ("c'est quoi le numéro du fax", 6),
    ("avez-vous un stationnement pour les handicapés", 5),
    ("pouvez-vous envoyer mes résultats à mon pharmacien", 3),
)
HOURS = (8, 9, 9, 10, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 21)


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


def week_turns(monday: date, rng: random.Random) -> list[Turn]:
    turns: list[Turn] = []
    for coop, share in COOPS.items():
        asked = [q for q, n in QUESTIONS for _ in range(round(n * share) if share < 1 else n)]
        for n in range(int(260 * share)):
            channel = _pick(rng, CHANNELS)
            day = monday + timedelta(days=rng.choices(range(7), [16, 15, 15, 14, 13, 7, 6])[0])
            at = datetime.combine(day, time(rng.choice(HOURS), rng.randrange(60)), QUEBEC)
            sender = f"+1819555{rng.randrange(10_000):04d}" if channel != "web" else f"demo-web-{coop}-{n}"
            member = f"DEMO-{rng.randrange(100_000):06d}" if rng.random() < 0.6 else ""
            disposition = _pick(rng, DISPOSITIONS)
            base: dict[str, Any] = {"coop": coop, "channel": channel, "conversation": sender, "member": member}
            urgent = is_emergency(disposition)
            for _ in range(rng.choice((0, 1, 1) if urgent else (1, 1, 2, 3))):
                topic = rng.choices([t for t, _ in TOPICS], [w for _, w in TOPICS])[0]
                turns.append(Turn(at=at, disposition=disposition, topic=topic, handed="reponse", **base))
            if urgent:
                turns.append(Turn(at=at, disposition=disposition, handed="ressources", **base))
            if disposition == "clinicien":
                turns.append(Turn(at=at, disposition=disposition, handed="relais", **base))
            if rng.random() < 0.12:
                question = asked.pop() if asked and rng.random() < 0.7 else ""
                missed = Turn(
                    at=at, disposition=disposition, handed="incompris", fallback=True, question=question, **base
                )
                turns.append(missed)
        for question in asked:  # what was left: asked all the same
            at = datetime.combine(monday + timedelta(days=2), time(11), QUEBEC)
            turns.append(Turn(coop, "web", at, f"demo-q-{rng.random()}", fallback=True, question=question))
    return turns


def week_tickets(desk: HandoffDesk, monday: date, rng: random.Random) -> int:
    made = 0
    for coop, share in COOPS.items():
        for n in range(int(40 * share)):
            day = monday + timedelta(days=rng.randrange(7))
            created = datetime.combine(day, time(rng.choice(HOURS), rng.randrange(60)), QUEBEC)
            wait = rng.lognormvariate(5.3, 0.8)  # a median near 3 minutes, a long tail
            notice = wait > 300
            ticket = Ticket(
                id=f"T{day:%y%m%d}-demo{coop[:2]}{n:03d}",
                conversation=f"demo-ticket-{coop}-{n}",
                channel=_pick(rng, CHANNELS),
                coop=coop,
                disposition=rng.choice(("clinicien", "clinicien", "urgence")),
                reasons=["demande"],
                summary={},
                created=created.timestamp(),
                status=TicketStatus.CLOSED,
                clinician="infirmiere@demo.coopsante.example",
                clinician_name="Marie Demo",
                claimed_at=created.timestamp() + wait,
                closed_at=created.timestamp() + wait + 900,
                outcome=rng.choice(("resolu", "resolu", "811", "consultation")),
                wait_notice_sent=notice,
            )
            desk.open(ticket)
            made += 1
    return made


def week_bookings(engine: Engine, monday: date, rng: random.Random) -> int:
    availability, store = Availability(engine), BookingStore(engine)
    blocks = demo_blocks(monday, 7)
    availability.add(blocks)
    made = 0
    for block in blocks:
        for slot in slots_of(block, 15 if block.clinician_type == "medecin" else 20):
            if rng.random() > 0.7:
                continue
            booked_by = "membre" if rng.random() < 0.75 else block.clinician
            created = slot.start - timedelta(days=rng.randrange(1, 5), hours=rng.randrange(8))
            booking = store.book(
                Slot(slot.clinician, slot.clinician_type, slot.coop, slot.modalities, slot.start, slot.minutes),
                member_number="",
                member_name="",
                conversation="",
                channel=_pick(rng, CHANNELS),
                need="consultation",
                summary={},
                modality="video",
                created=created.timestamp(),
                booked_by=booked_by,
            )
            if booking is None:
                continue
            made += 1
            roll = rng.random()
            if roll < 0.08:
                store.cancel(booking)
            elif roll < 0.13:
                store.cancel(booking, moved_to="demo-deplace")
            elif roll < 0.18:
                store.mark_no_show(booking.id, block.clinician, datetime.now(QUEBEC))
    return made


def seed_week(engine: Engine, redis: object, monday: date) -> dict[str, int]:
    rng = random.Random(SEED)
    turns = week_turns(monday, rng)
    ServiceRecords(engine).record_many(turns)
    tickets = week_tickets(HandoffDesk(engine, redis), monday, rng)
    bookings = week_bookings(engine, monday, rng)
    return {"tours": len(turns), "relais": tickets, "rendez_vous": bookings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo-if-empty", action="store_true", required=True)
    parser.parse_args(argv)
    settings = load_settings()
    engine = engine_for(settings.database_url)
    if ServiceRecords(engine).has_any():
        return 0
    monday = last_complete_week(datetime.now(QUEBEC).date()).start
    client = sync_client(settings.redis_url)
    figures = seed_week(engine, client, monday)
    print(
        f"Demo service week from {monday}: {figures['tours']} turns, {figures['relais']} handoffs,"
        f" {figures['rendez_vous']} bookings",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
