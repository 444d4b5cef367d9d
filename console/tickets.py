"""A ticket: its page and stream, claiming it, replying, closing it, booking for its member, and the
break-glass access to a closed ticket someone else held.

Another coop's ticket reads as missing; every view, stream, claim, message, closing, booking and
refusal is written to the audit trail with who did it, on which ticket, of which coop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.booking.availability import QUEBEC, Slot
from bot.booking.flow import booking_message, language_of
from bot.booking.store import Booking
from bot.handoff.clinicians import Clinician
from bot.handoff.desk import OUTCOMES, Ticket, TicketStatus, wait_thread_async
from console import pages
from console.access import clean_reason, needs_break_glass, sees_ticket
from console.delivery import resume_events
from console.shared import (
    AUDIT,
    AVAILABILITY,
    BOOKINGS,
    BREAK_GLASS,
    CONTENT,
    DELIVERY,
    DESK,
    LIVE,
    PROMPTS,
    RULES,
    clinical,
    event_stream,
    heartbeat,
    html_page,
    off_duty,
    respond,
    session_of,
    still_valid,
)
from console.transcript import transcript_lines

log = logging.getLogger(__name__)

THREAD_WAIT_MS = 2_000  # a ticket's stream checks the session at least this often
MAX_REPLY_CHARS = 1500


async def _ticket(request: web.Request, page: bool = False) -> Ticket:
    """`_checked_ticket`, in a thread (PostgreSQL and Redis)."""
    return await asyncio.to_thread(_checked_ticket, request, page)


def _checked_ticket(request: web.Request, page: bool = False) -> Ticket:
    """The ticket asked for, if this clinician may see it. Another coop's ticket reads as missing
    (its existence is not revealed) and the attempt is audited; a closed ticket someone else held
    needs a break-glass access (the page offers its form)."""
    clinician = clinical(request)
    ticket_id = request.match_info["id"]
    ticket = request.app[DESK].get(ticket_id)
    if ticket is not None and not sees_ticket(clinician, ticket):
        request.app[AUDIT].access(clinician.email, "refus_autre_coop", ticket_id, request.method, ticket.coop)
        ticket = None
    if ticket is None:
        raise web.HTTPNotFound(text="Ce dossier n'existe pas ou n'est plus conservé.")
    if needs_break_glass(clinician, ticket) and not request.app[BREAK_GLASS].granted(clinician.email, ticket.id):
        request.app[AUDIT].access(clinician.email, "refus_ferme", ticket.id, request.method, ticket.coop)
        if page:
            raise web.HTTPForbidden(text=pages.break_glass(session_of(request), ticket), content_type="text/html")
        raise web.HTTPForbidden(text="Dossier fermé: accès d'urgence requis (voir sa page).")
    return ticket


async def ticket_page(request: web.Request) -> web.Response:
    session, ticket = session_of(request), await _ticket(request, page=True)
    await asyncio.to_thread(
        request.app[AUDIT].access, session.clinician.email, "consultation", ticket.id, coop=ticket.coop
    )
    transcript = await _transcript(request, ticket)
    thread = await asyncio.to_thread(request.app[DESK].thread, ticket.id)
    claimed = ticket.status == TicketStatus.CLAIMED
    slots = await asyncio.to_thread(_free_slots, request.app, ticket.coop, "video") if claimed else []
    slots = slots[:5]
    return html_page(pages.ticket(session, ticket, transcript, thread, OUTCOMES, slots, request.app[RULES]))


async def break_glass(request: web.Request) -> web.Response:
    """A clinician of the coop opens a closed ticket someone else held, saying why (audited)."""
    clinician = clinical(request)
    ticket = await asyncio.to_thread(request.app[DESK].get, request.match_info["id"])
    if ticket is None or not sees_ticket(clinician, ticket):
        if ticket is not None:
            await asyncio.to_thread(
                request.app[AUDIT].access, clinician.email, "refus_autre_coop", ticket.id, "POST", ticket.coop
            )
        raise web.HTTPNotFound(text="Ce dossier n'existe pas ou n'est plus conservé.")
    reason = clean_reason(str((await request.post()).get("raison", "")))
    if not reason:
        return html_page(pages.break_glass(session_of(request), ticket, "Donnez la raison (10 à 300 caractères)."), 400)

    def grant() -> None:
        request.app[BREAK_GLASS].grant(clinician.email, ticket.id)
        request.app[AUDIT].access(clinician.email, "bris_de_verre", ticket.id, reason, ticket.coop)

    await asyncio.to_thread(grant)
    raise web.HTTPSeeOther(f"/tickets/{ticket.id}")


def _free_slots(app: web.Application, coop: str, modality: str) -> list[Slot]:
    now = datetime.now(QUEBEC) + timedelta(hours=1)
    types = app[RULES].types_by_need["consultation"]
    slots = app[AVAILABILITY].slots(now, now + timedelta(days=14), app[RULES], types, coop, modality)
    return [s for s in slots if not app[BOOKINGS].taken(s.id)]


async def _transcript(request: web.Request, ticket: Ticket) -> list[dict[str, Any]]:
    """The ticket's episode of the conversation, from Rasa's tracker, identity answers masked."""
    delivery = request.app[DELIVERY]
    url, query = delivery.tracker_url(ticket.conversation, "tracker", "ALL")
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession() as client, client.get(url, params=query, timeout=timeout) as answer:
            tracker = await answer.json() if answer.status == 200 else {}
    except (TimeoutError, aiohttp.ClientError):
        log.warning("console.transcript_unavailable ticket=%s", ticket.id)
        return []
    prompts = request.app[PROMPTS]
    return transcript_lines(tracker.get("events") or [], ticket, prompts)


async def ticket_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the ticket's new thread entries (member messages, claims, closing). The
    session is checked at every tick and the stream ends with it; opening it is audited."""
    session, ticket = session_of(request), await _ticket(request)
    desk = request.app[DESK]
    await asyncio.to_thread(request.app[AUDIT].access, session.clinician.email, "flux", ticket.id, coop=ticket.coop)
    after = request.query.get("apres") or "$"
    stream = await event_stream(request)
    try:
        while True:
            current = await still_valid(request, session)
            if current is None or not sees_ticket(current.clinician, ticket):
                await stream.write(b"event: fin\ndata: {}\n\n")
                break
            await heartbeat(request, current.clinician)
            entries = await wait_thread_async(desk, request.app[LIVE], ticket.id, after, THREAD_WAIT_MS)
            for entry in entries:
                after = entry["id"]
                await stream.write(f"event: fil\ndata: {json.dumps(entry, ensure_ascii=False)}\n\n".encode())
            if not entries:
                await stream.write(b": toujours la\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        await off_duty(request, session.clinician)
    return stream


async def claim(request: web.Request) -> web.Response:
    session, ticket = session_of(request), await _ticket(request)
    clinician = session.clinician

    def take() -> tuple[bool, Ticket | None]:
        won = request.app[DESK].claim(ticket.id, clinician.email, clinician.name)
        request.app[AUDIT].access(clinician.email, "prise", ticket.id, "ok" if won else "deja_pris", ticket.coop)
        return won, request.app[DESK].get(ticket.id)

    won, taken = await asyncio.to_thread(take)
    if not won:
        who = taken.clinician_name if taken and taken.clinician_name else "quelqu'un d'autre"
        return respond(request, {"pris": False, "par": who}, f"/?info=Déjà pris par {who}.", status=409)
    taken = taken or ticket
    await request.app[DELIVERY].send(
        taken,
        f"{clinician.name} ({clinician.role_label.lower()}) a pris votre demande et vous écrit ici dans un instant.",
    )
    return respond(request, {"pris": True}, f"/tickets/{ticket.id}")


def _own(request: web.Request, ticket: Ticket) -> Clinician:
    clinician = session_of(request).clinician
    if ticket.status != TicketStatus.CLAIMED or ticket.clinician != clinician.email:
        raise web.HTTPConflict(text="Prenez d'abord ce dossier (ou il est déjà fermé).")
    return clinician


async def reply(request: web.Request) -> web.Response:
    ticket = await _ticket(request)
    clinician = _own(request, ticket)
    form = await request.post()
    text = str(form.get("texte", "")).strip()
    if not text:
        return respond(request, {"envoye": False, "erreur": "Message vide."}, f"/tickets/{ticket.id}", status=400)
    if len(text) > MAX_REPLY_CHARS:
        return respond(request, {"envoye": False, "erreur": "Message trop long."}, f"/tickets/{ticket.id}", status=400)
    author = f"{clinician.name} ({clinician.role_label.lower()})"
    delivered = await request.app[DELIVERY].send(ticket, text, author)

    def keep() -> None:
        request.app[DESK].post(ticket.id, "clinicien", clinician.name, text)
        outcome = "livre" if delivered else "non_livre"
        request.app[AUDIT].access(clinician.email, "message", ticket.id, outcome, ticket.coop)

    await asyncio.to_thread(keep)
    return respond(request, {"envoye": True, "livre": delivered}, f"/tickets/{ticket.id}")


async def close(request: web.Request) -> web.Response:
    ticket = await _ticket(request)
    clinician = _own(request, ticket)
    outcome = str((await request.post()).get("issue", ""))
    if outcome not in OUTCOMES or outcome == "annule":
        return respond(request, {"ferme": False, "erreur": "Choisissez l'issue."}, f"/tickets/{ticket.id}", status=400)
    closed = await asyncio.to_thread(request.app[DESK].close, ticket.id, outcome, clinician.name)
    if closed:
        delivery = request.app[DELIVERY]
        closing = request.app[CONTENT].say("relais.ferme", language_of(closed.summary), closed.coop)
        await delivery.send(closed, closing, record=False)
        await delivery.record(closed.conversation, resume_events(closing))
    await asyncio.to_thread(request.app[AUDIT].access, clinician.email, "fermeture", ticket.id, outcome, ticket.coop)
    return respond(request, {"ferme": bool(closed)}, "/?info=Dossier fermé.")


async def book_for_member(request: web.Request) -> web.Response:
    """A clinician books a teleconsultation for the member of a ticket they hold."""
    ticket = await _ticket(request)
    clinician = _own(request, ticket)
    slot_id = str((await request.post()).get("plage", ""))
    booking = await asyncio.to_thread(_book, request.app, ticket, clinician, slot_id)
    if booking is None:
        return respond(request, {"reserve": False}, f"/tickets/{ticket.id}", status=409)
    text = booking_message(request.app[CONTENT], "rdv.par_clinicien", booking, language_of(ticket.summary))
    await request.app[DELIVERY].send(ticket, text)
    await asyncio.to_thread(request.app[DESK].post, ticket.id, "clinicien", clinician.name, text)
    return respond(request, {"reserve": True, "reservation": booking.id}, f"/tickets/{ticket.id}")


def _book(app: web.Application, ticket: Ticket, clinician: Clinician, slot_id: str) -> Booking | None:
    """Book the free slot `slot_id` for the ticket's member, audited either way (PostgreSQL: in a thread)."""
    slot = next((s for s in _free_slots(app, ticket.coop, "video") if s.id == slot_id), None)
    booking = None
    if slot is not None:
        booking = app[BOOKINGS].book(
            slot,
            member_number=ticket.member_number,
            member_name=ticket.member_name,
            conversation=ticket.conversation,
            channel=ticket.channel,
            need="consultation",
            summary={**ticket.summary, "triage": ticket.disposition},
            modality="video",
            booked_by=clinician.email,
        )
    detail = booking.id if booking else "plage_prise"
    app[AUDIT].access(clinician.email, "reservation", ticket.id, detail, ticket.coop)
    return booking
