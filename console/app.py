"""The console's web app (aiohttp): login, the live queue, a ticket's conversation, the audit page.

Security: scrypt passwords and lockout (bot/clinicians.py); the session cookie is HttpOnly and
SameSite=Strict (and Secure behind TLS: CONSOLE_SECURE_COOKIES=1); every POST carries the
session's CSRF token and, when the browser sends one, an Origin matching the console; pages
forbid framing and load only the console's own scripts. Every view, claim, message and closing is
written to the audit stream with who did it and on which ticket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.audit import AuditLog
from bot.availability import QUEBEC, Availability, Block, BookingRules, ScheduleError, Slot
from bot.booking_flow import booking_message, language_of
from bot.bookings import BookingStore, ReminderMarks
from bot.clinicians import Clinician, ClinicianAccounts, Session
from bot.content import Content
from bot.handoff import OUTCOMES, HandoffDesk, Ticket
from console import pages
from console.delivery import MemberDelivery, resume_events

log = logging.getLogger(__name__)

COOKIE = "coopsante_console"
STATIC = Path(__file__).resolve().parent / "static"
QUEUE_REFRESH_SECONDS = 1.5
MAX_REPLY_CHARS = 1500
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

DESK = web.AppKey("desk", HandoffDesk)
ACCOUNTS = web.AppKey("accounts", ClinicianAccounts)
AUDIT = web.AppKey("audit", AuditLog)
DELIVERY = web.AppKey("delivery", MemberDelivery)
CONTENT = web.AppKey("content", Content)
SETTINGS = web.AppKey("settings", dict)
BOOKINGS = web.AppKey("bookings", BookingStore)
AVAILABILITY = web.AppKey("availability", Availability)
RULES = web.AppKey("rules", BookingRules)


def make_app(
    desk: HandoffDesk,
    accounts: ClinicianAccounts,
    audit: AuditLog,
    delivery: MemberDelivery,
    content: Content,
    timeout_seconds: float,
    rules: BookingRules,
    secure_cookies: bool = False,
) -> web.Application:
    app = web.Application(middlewares=[_security_headers, _bad_input, _sessions], client_max_size=64 * 1024)
    app[DESK], app[ACCOUNTS], app[AUDIT], app[DELIVERY], app[CONTENT] = desk, accounts, audit, delivery, content
    app[BOOKINGS], app[AVAILABILITY], app[RULES] = BookingStore(desk.redis), Availability(desk.redis), rules
    app[SETTINGS] = {"timeout": timeout_seconds, "secure": secure_cookies}
    app.router.add_get("/sante", health)
    app.router.add_get("/connexion", login_page)
    app.router.add_post("/connexion", login)
    app.router.add_post("/deconnexion", logout)
    app.router.add_get("/", queue_page)
    app.router.add_get("/flux/file", queue_stream)
    app.router.add_get("/tickets/{id}", ticket_page)
    app.router.add_get("/flux/tickets/{id}", ticket_stream)
    app.router.add_post("/tickets/{id}/prendre", claim)
    app.router.add_post("/tickets/{id}/messages", reply)
    app.router.add_post("/tickets/{id}/fermer", close)
    app.router.add_post("/tickets/{id}/reserver", book_for_member)
    app.router.add_get("/horaire", schedule_page)
    app.router.add_post("/horaire", add_block)
    app.router.add_post("/horaire/retirer", remove_block)
    app.router.add_get("/admin/journal", audit_page)
    app.router.add_static("/static/", STATIC)
    app.cleanup_ctx.append(_timer)
    return app


# --- Middlewares ----------------------------------------------------------------------------------


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")  # "no-referrer" makes Origin null
    response.headers.setdefault("Cache-Control", "no-store")
    return response


PUBLIC = {"/sante", "/connexion"}


@web.middleware
async def _bad_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A form that cannot be read (wrong encoding, broken body) is the sender's error: 400, not 500."""
    try:
        return await handler(request)
    except (UnicodeDecodeError, ValueError):
        return web.Response(status=400, text="Requête illisible.")


@web.middleware
async def _sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but the login needs a session; every POST its CSRF token and a matching Origin."""
    if request.method == "POST":
        origin = request.headers.get("Origin")
        # Behind a TLS terminator the console sees http: the proxy says what the browser used.
        scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
        if origin and origin != f"{scheme}://{request.host}":
            return web.Response(status=403, text="Origine refusée.")
    if request.path in PUBLIC or request.path.startswith("/static/"):
        return await handler(request)
    session = request.app[ACCOUNTS].session(request.cookies.get(COOKIE, ""))
    if session is None:
        if request.method == "GET" and not request.path.startswith("/flux/"):
            raise web.HTTPSeeOther("/connexion")
        return web.Response(status=401, text="Session expirée: reconnectez-vous.")
    if request.method == "POST":
        sent = request.headers.get("X-CSRF-Token") or (await request.post()).get("csrf")
        if sent != session.csrf:
            return web.Response(status=403, text="Jeton de sécurité invalide: rechargez la page.")
    request["session"] = session
    return await handler(request)


def _session(request: web.Request) -> Session:
    session: Session = request["session"]
    return session


# --- Login ----------------------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "en_ligne": request.app[DESK].on_duty()})


async def login_page(request: web.Request) -> web.Response:
    return _html(pages.login(request.query.get("erreur", "")))


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    status, session = request.app[ACCOUNTS].log_in(str(form.get("courriel", "")), str(form.get("mot_de_passe", "")))
    request.app[AUDIT].access(str(form.get("courriel", ""))[:200], "connexion", "", status)
    if session is None:
        message = (
            "Compte verrouillé après trop d'essais. Réessayez dans 15 minutes."
            if status == "locked"
            else "Courriel ou mot de passe incorrect."
        )
        return _html(pages.login(message), status=401 if status == "refused" else 429)
    response = web.HTTPSeeOther("/")
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS]["secure"],
        max_age=8 * 3600,
        path="/",
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    session = _session(request)
    request.app[ACCOUNTS].log_out(session.token)
    request.app[DESK].off_duty(session.clinician.email)
    response = web.HTTPSeeOther("/connexion")
    response.del_cookie(COOKIE, path="/")
    raise response


# --- Queue ----------------------------------------------------------------------------------------


async def queue_page(request: web.Request) -> web.Response:
    session = _session(request)
    request.app[DESK].heartbeat(session.clinician.email)
    state = _queue_state(request.app[DESK], session.clinician)
    bookings = request.app[BOOKINGS].upcoming_for_clinician(session.clinician.email, datetime.now(QUEBEC))
    return _html(pages.queue(session, state, request.query.get("info", ""), bookings, request.app[RULES]))


def _queue_state(desk: HandoffDesk, clinician: Clinician) -> dict[str, Any]:
    return {
        "attente": [pages.ticket_row(t) for t in desk.queue()],
        "miens": [pages.ticket_row(t) for t in desk.claimed_by(clinician.email)],
        "en_ligne": desk.on_duty(),
    }


async def queue_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the queue whenever it changes. Keeping it open keeps the clinician on duty."""
    session = _session(request)
    desk = request.app[DESK]
    stream = await _event_stream(request)
    last = ""
    try:
        while True:
            desk.heartbeat(session.clinician.email)
            state = json.dumps(_queue_state(desk, session.clinician), ensure_ascii=False)
            if state != last:
                await stream.write(f"event: file\ndata: {state}\n\n".encode())
                last = state
            else:
                await stream.write(b": toujours la\n\n")
            await asyncio.sleep(QUEUE_REFRESH_SECONDS)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return stream


async def _event_stream(request: web.Request) -> web.StreamResponse:
    stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await stream.prepare(request)
    return stream


# --- A ticket -------------------------------------------------------------------------------------


def _ticket(request: web.Request) -> Ticket:
    ticket = request.app[DESK].get(request.match_info["id"])
    if ticket is None:
        raise web.HTTPNotFound(text="Ce dossier n'existe pas ou n'est plus conservé.")
    return ticket


async def ticket_page(request: web.Request) -> web.Response:
    session, ticket = _session(request), _ticket(request)
    request.app[AUDIT].access(session.clinician.email, "consultation", ticket.id)
    transcript = await _transcript(request, ticket)
    thread = request.app[DESK].thread(ticket.id)
    slots = _free_slots(request.app, ticket.coop, "video")[:5] if ticket.status == "pris" else []
    return _html(pages.ticket(session, ticket, transcript, thread, OUTCOMES, slots, request.app[RULES]))


def _free_slots(app: web.Application, coop: str, modality: str) -> list[Slot]:
    now = datetime.now(QUEBEC) + timedelta(hours=1)
    types = app[RULES].types_by_need["consultation"]
    slots = app[AVAILABILITY].slots(now, now + timedelta(days=14), app[RULES], types, coop, modality)
    return [s for s in slots if not app[BOOKINGS].taken(s.id)]


async def _transcript(request: web.Request, ticket: Ticket) -> list[dict[str, Any]]:
    """The conversation before the handoff, from Rasa's tracker (user and bot messages)."""
    delivery = request.app[DELIVERY]
    url, query = delivery.tracker_url(ticket.conversation, "tracker", "ALL")
    try:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession() as client, client.get(url, params=query, timeout=timeout) as answer:
            tracker = await answer.json() if answer.status == 200 else {}
    except (TimeoutError, aiohttp.ClientError):
        log.warning("console.transcript_unavailable ticket=%s", ticket.id)
        return []
    lines = []
    for event in tracker.get("events") or []:
        if event.get("event") in ("user", "bot") and event.get("text"):
            author = "membre" if event["event"] == "user" else (event.get("metadata") or {}).get("clinicien") or "bot"
            lines.append({"qui": author, "texte": event["text"], "a": event.get("timestamp") or 0})
    return lines


async def ticket_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the ticket's new thread entries (member messages, claims, closing)."""
    session, ticket = _session(request), _ticket(request)
    desk = request.app[DESK]
    after = request.query.get("apres") or "$"
    stream = await _event_stream(request)
    try:
        while True:
            desk.heartbeat(session.clinician.email)
            entries = await asyncio.to_thread(desk.wait_thread, ticket.id, after, 10_000)
            for entry in entries:
                after = entry["id"]
                await stream.write(f"event: fil\ndata: {json.dumps(entry, ensure_ascii=False)}\n\n".encode())
            if not entries:
                await stream.write(b": toujours la\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return stream


async def claim(request: web.Request) -> web.Response:
    session, ticket = _session(request), _ticket(request)
    clinician = session.clinician
    won = request.app[DESK].claim(ticket.id, clinician.email, clinician.name)
    request.app[AUDIT].access(clinician.email, "prise", ticket.id, "ok" if won else "deja_pris")
    if not won:
        taken = request.app[DESK].get(ticket.id)
        who = taken.clinician_name if taken and taken.clinician_name else "quelqu'un d'autre"
        return _answer(request, {"pris": False, "par": who}, f"/?info=Déjà pris par {who}.", status=409)
    taken = request.app[DESK].get(ticket.id) or ticket
    await request.app[DELIVERY].send(
        taken,
        f"{clinician.name} ({clinician.role_label.lower()}) a pris votre demande et vous écrit ici dans un instant.",
    )
    return _answer(request, {"pris": True}, f"/tickets/{ticket.id}")


def _own(request: web.Request, ticket: Ticket) -> Clinician:
    clinician = _session(request).clinician
    if ticket.status != "pris" or ticket.clinician != clinician.email:
        raise web.HTTPConflict(text="Prenez d'abord ce dossier (ou il est déjà fermé).")
    return clinician


async def reply(request: web.Request) -> web.Response:
    ticket = _ticket(request)
    clinician = _own(request, ticket)
    form = await request.post()
    text = str(form.get("texte", "")).strip()
    if not text:
        return _answer(request, {"envoye": False, "erreur": "Message vide."}, f"/tickets/{ticket.id}", status=400)
    if len(text) > MAX_REPLY_CHARS:
        return _answer(request, {"envoye": False, "erreur": "Message trop long."}, f"/tickets/{ticket.id}", status=400)
    author = f"{clinician.name} ({clinician.role_label.lower()})"
    delivered = await request.app[DELIVERY].send(ticket, text, author)
    request.app[DESK].post(ticket.id, "clinicien", clinician.name, text)
    request.app[AUDIT].access(clinician.email, "message", ticket.id, "livre" if delivered else "non_livre")
    return _answer(request, {"envoye": True, "livre": delivered}, f"/tickets/{ticket.id}")


async def close(request: web.Request) -> web.Response:
    ticket = _ticket(request)
    clinician = _own(request, ticket)
    outcome = str((await request.post()).get("issue", ""))
    if outcome not in OUTCOMES or outcome == "annule":
        return _answer(request, {"ferme": False, "erreur": "Choisissez l'issue."}, f"/tickets/{ticket.id}", status=400)
    closed = request.app[DESK].close(ticket.id, outcome, clinician.name)
    if closed:
        delivery = request.app[DELIVERY]
        closing = request.app[CONTENT].say("relais.ferme", language_of(closed.summary), closed.coop)
        await delivery.send(closed, closing, record=False)
        await delivery.record(closed.conversation, resume_events(closing))
    request.app[AUDIT].access(clinician.email, "fermeture", ticket.id, outcome)
    return _answer(request, {"ferme": bool(closed)}, "/?info=Dossier fermé.")


# --- Bookings and schedules -----------------------------------------------------------------------


async def book_for_member(request: web.Request) -> web.Response:
    """A clinician books a teleconsultation for the member of a ticket they hold."""
    ticket = _ticket(request)
    clinician = _own(request, ticket)
    slot_id = str((await request.post()).get("plage", ""))
    slot = next((s for s in _free_slots(request.app, ticket.coop, "video") if s.id == slot_id), None)
    booking = None
    if slot is not None:
        booking = request.app[BOOKINGS].book(
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
    request.app[AUDIT].access(clinician.email, "reservation", ticket.id, booking.id if booking else "plage_prise")
    if booking is None:
        return _answer(request, {"reserve": False}, f"/tickets/{ticket.id}", status=409)
    text = booking_message(request.app[CONTENT], "rdv.par_clinicien", booking, language_of(ticket.summary))
    await request.app[DELIVERY].send(ticket, text)
    request.app[DESK].post(ticket.id, "clinicien", clinician.name, text)
    return _answer(request, {"reserve": True, "reservation": booking.id}, f"/tickets/{ticket.id}")


async def schedule_page(request: web.Request) -> web.Response:
    session = _session(request)
    now = datetime.now(QUEBEC)
    blocks = request.app[AVAILABILITY].blocks(now, now + timedelta(days=60), session.clinician.email)
    return _html(pages.schedule(session, blocks, sorted(request.app[CONTENT].coops), request.query.get("info", "")))


async def add_block(request: web.Request) -> web.Response:
    session = _session(request)
    form = await request.post()
    try:
        day = str(form.get("jour", ""))
        block = Block(
            session.clinician.email
            if not session.clinician.is_admin
            else str(form.get("clinicien") or session.clinician.email),
            str(form.get("type", "")),
            str(form.get("coop", "")),
            tuple(str(m) for m in form.getall("modalites", [])),
            _local_time(day, str(form.get("debut", ""))),
            _local_time(day, str(form.get("fin", ""))),
        )
    except (ScheduleError, ValueError) as error:
        raise web.HTTPSeeOther(f"/horaire?info={urllib.parse.quote(f'Plage refusée: {error}')}") from error
    request.app[AVAILABILITY].add([block])
    request.app[AUDIT].access(session.clinician.email, "horaire_ajout", "", block.id)
    raise web.HTTPSeeOther("/horaire?info=Plage+ajout%C3%A9e.")


async def remove_block(request: web.Request) -> web.Response:
    session = _session(request)
    form = await request.post()
    now = datetime.now(QUEBEC)
    for block in request.app[AVAILABILITY].blocks(now - timedelta(days=1), now + timedelta(days=60)):
        if block.id == form.get("bloc") and (block.clinician == session.clinician.email or session.clinician.is_admin):
            request.app[AVAILABILITY].remove(block)
            request.app[AUDIT].access(session.clinician.email, "horaire_retrait", "", block.id)
    raise web.HTTPSeeOther("/horaire?info=Plage+retir%C3%A9e.")


def _local_time(day: str, hour: str) -> datetime:
    return datetime.strptime(f"{day} {hour}", "%Y-%m-%d %H:%M").replace(tzinfo=QUEBEC)


# --- Admin ----------------------------------------------------------------------------------------


async def audit_page(request: web.Request) -> web.Response:
    session = _session(request)
    if not session.clinician.is_admin:
        raise web.HTTPForbidden(text="Réservé à l'administration.")
    request.app[AUDIT].access(session.clinician.email, "journal", "")
    # The trail's own shape (bot/audit.py) in the page's former one, until the page is rewritten.
    entries = [
        {
            "id": f"{int(datetime.fromisoformat(e['at']).timestamp() * 1000)}-0",
            "acteur": e["actor"],
            "evenement": f"console.{e['action']}",
            "ticket": e["ticket"],
            "detail": e["detail"],
        }
        for e in request.app[AUDIT].entries("access", limit=500)
    ]
    return _html(pages.audit(session, entries))


# --- The no-answer timer --------------------------------------------------------------------------


async def _timer(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_no_answer_timer(app))
    yield
    task.cancel()


async def _no_answer_timer(app: web.Application) -> None:
    """Tell members honestly when nobody claimed their request in time; their ticket stays queued."""
    desk, timeout = app[DESK], app[SETTINGS]["timeout"]
    while True:
        try:
            for ticket in desk.overdue(timeout):
                desk.mark_wait_notice(ticket.id)
                waiting = app[CONTENT].say("relais.attente", language_of(ticket.summary), ticket.coop)
                await app[DELIVERY].send(ticket, waiting)
                desk.post(ticket.id, "avis", "", "Le membre a été avisé de l'attente (811, rendez-vous).")
            await _send_reminders(app)
        except Exception:
            log.exception("console.timer_failed")
        await asyncio.sleep(max(0.5, min(5.0, timeout / 4)))


async def _send_reminders(app: web.Application) -> None:
    """Booking reminders that are due: kept in Redis, so a restart loses none, and each sent once."""
    marks = ReminderMarks(app[DESK].redis)
    for booking, kind in app[BOOKINGS].due_reminders(time.time()):
        language = language_of(booking.summary)
        if kind == "veille":
            marks.mark(booking.conversation, booking)  # ANNULER in answer cancels this booking
        key = "rdv.rappel_veille" if kind == "veille" else "rdv.rappel_heure"
        await app[DELIVERY].send(booking, booking_message(app[CONTENT], key, booking, language))


# --- Helpers --------------------------------------------------------------------------------------


def _html(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, content_type="text/html", charset="utf-8", status=status)


def _answer(request: web.Request, data: dict[str, Any], redirect: str, status: int = 200) -> web.Response:
    """JSON for the page's scripts, a redirect for a plain form (without JavaScript)."""
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response(data, status=status)
    raise web.HTTPSeeOther(redirect)


def settings_from_env() -> dict[str, Any]:
    return {
        "timeout": float(os.environ.get("HANDOFF_TIMEOUT_SECONDS", "300")),
        "secure": os.environ.get("CONSOLE_SECURE_COOKIES", "") == "1",
        "started": time.time(),
    }
