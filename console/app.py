"""The console's web app (aiohttp): login, the live queue, a ticket's conversation, the audit page.

Security: scrypt passwords and login throttling (bot/clinicians.py); the session cookie is
HttpOnly and SameSite=Strict (and Secure behind TLS: CONSOLE_SECURE_COOKIES=1); every POST carries
a CSRF token (the session's, or for the login form a pre-session's) and an Origin (or, without one,
a Referer) of the console itself; pages forbid framing and load only the console's own scripts.
Access follows coops and roles (console/access.py): a clinician sees their coops' tickets only,
another coop's ticket reads as missing; admins see the audit trail, no clinical content. Every
view, stream, claim, message, closing and refusal is written to the audit trail with who did it,
on which ticket, of which coop; login attempts go to the security trail.
"""

from __future__ import annotations

import asyncio
import hmac
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
from bot.clinicians import CLINICAL_ROLES, Clinician, ClinicianAccounts, Session
from bot.content import Content
from bot.handoff import OUTCOMES, HandoffDesk, Ticket
from bot.records.retention import purge_all, record_stores
from bot.settings import load_settings
from console import dashboard, pages
from console.access import BreakGlass, clean_reason, needs_break_glass, sees_audit_of, sees_ticket
from console.delivery import MemberDelivery, resume_events
from console.transcript import identity_prompts, transcript_lines

log = logging.getLogger(__name__)

COOKIE = "coopsante_console"
PRE_COOKIE = "coopsante_console_pre"  # binds the login form's CSRF token, before any session
STATIC = Path(__file__).resolve().parent / "static"
QUEUE_REFRESH_SECONDS = 1.5
PURGE_EVERY_SECONDS = 3600
THREAD_WAIT_MS = 2_000  # a ticket's stream checks the session at least this often
AUDIT_PAGE = 50
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
BREAK_GLASS = web.AppKey("break_glass", BreakGlass)
PROMPTS = web.AppKey("prompts", dict[str, list[str]])


def make_app(
    desk: HandoffDesk,
    accounts: ClinicianAccounts,
    audit: AuditLog,
    delivery: MemberDelivery,
    content: Content,
    timeout_seconds: float,
    rules: BookingRules,
    secure_cookies: bool = False,
    trust_forwarded: bool = False,
) -> web.Application:
    app = web.Application(middlewares=[_security_headers, _bad_input, _sessions], client_max_size=64 * 1024)
    app[DESK], app[ACCOUNTS], app[AUDIT], app[DELIVERY], app[CONTENT] = desk, accounts, audit, delivery, content
    app[BOOKINGS], app[AVAILABILITY], app[RULES] = BookingStore(desk.engine), Availability(desk.engine), rules
    app[SETTINGS] = {"timeout": timeout_seconds, "secure": secure_cookies, "trust_forwarded": trust_forwarded}
    app[BREAK_GLASS], app[PROMPTS] = BreakGlass(desk.redis), identity_prompts(content)
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
    app.router.add_post("/tickets/{id}/bris-de-verre", break_glass)
    app.router.add_get("/compte", account_page)
    app.router.add_post("/compte", change_password)
    app.router.add_get("/horaire", schedule_page)
    app.router.add_post("/horaire", add_block)
    app.router.add_post("/horaire/retirer", remove_block)
    app.router.add_get("/admin/journal", audit_page)
    app.router.add_get("/admin/comptes", accounts_page)
    dashboard.add_routes(app, desk.engine, audit, content, timeout_seconds)
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


def _origin(request: web.Request) -> str:
    # Behind a TLS terminator the console sees http: the proxy says what the browser used.
    scheme = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    return f"{scheme}://{request.host}"


def _same_origin(request: web.Request) -> bool:
    """A POST must say it comes from the console: its Origin, or without one a Referer of the console."""
    expected = _origin(request)
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin == expected
    referer = request.headers.get("Referer", "")
    return referer == expected or referer.startswith(expected + "/")


def _same(sent: str, expected: str) -> bool:
    return bool(sent) and hmac.compare_digest(sent.encode(), expected.encode())


@web.middleware
async def _sessions(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but the login needs a session; every POST its CSRF token and the console's Origin."""
    if request.method == "POST" and not _same_origin(request):
        return web.Response(status=403, text="Origine refusée.")
    if request.path in PUBLIC or request.path.startswith("/static/"):
        if request.method == "POST" and request.path == "/connexion":
            sent = str((await request.post()).get("csrf", ""))
            if not request.app[ACCOUNTS].pre_session_matches(request.cookies.get(PRE_COOKIE, ""), sent):
                return web.Response(status=403, text="Jeton de sécurité invalide: rechargez la page.")
        return await handler(request)
    session = request.app[ACCOUNTS].session(request.cookies.get(COOKIE, ""))
    if session is None:
        if request.method == "GET" and not request.path.startswith("/flux/"):
            raise web.HTTPSeeOther("/connexion")
        return web.Response(status=401, text="Session expirée: reconnectez-vous.")
    if request.method == "POST":
        sent = request.headers.get("X-CSRF-Token") or str((await request.post()).get("csrf", ""))
        if not _same(sent, session.csrf):
            return web.Response(status=403, text="Jeton de sécurité invalide: rechargez la page.")
    request["session"] = session
    return await handler(request)


def _session(request: web.Request) -> Session:
    session: Session = request["session"]
    return session


def _clinical(request: web.Request) -> Clinician:
    """The clinician at the keyboard; admins (coop or federation) see no clinical content."""
    clinician = _session(request).clinician
    if not clinician.is_clinical:
        raise web.HTTPForbidden(text="Réservé aux cliniciens.")
    return clinician


def _source(request: web.Request) -> str:
    """The client's address (behind a trusted proxy: the last one it added to X-Forwarded-For)."""
    if request.app[SETTINGS].get("trust_forwarded"):
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if forwarded:
            return forwarded[-1][:64]
    return (request.remote or "")[:64]


# --- Login ----------------------------------------------------------------------------------------


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "en_ligne": request.app[DESK].on_duty()})


def _login_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    """The login page with a fresh CSRF token, bound to a pre-session cookie."""
    token, csrf = request.app[ACCOUNTS].pre_session()
    response = _html(pages.login(error, csrf), status=status)
    response.set_cookie(
        PRE_COOKIE, token, httponly=True, samesite="Strict", secure=request.app[SETTINGS]["secure"], path="/connexion"
    )
    return response


async def login_page(request: web.Request) -> web.Response:
    return _login_form(request, request.query.get("erreur", ""))


async def login(request: web.Request) -> web.Response:
    accounts, audit = request.app[ACCOUNTS], request.app[AUDIT]
    form = await request.post()
    email = str(form.get("courriel", "")).strip().lower()[:200]
    source = _source(request)
    if accounts.throttle.blocked(source):
        audit.record("console.connexion", "bloquee", email, source)
        return _login_form(request, "Trop d'essais depuis cet appareil. Réessayez dans 15 minutes.", status=429)
    await asyncio.sleep(accounts.throttle.delay(email, source))  # slower and slower, never locked out
    status, session = await asyncio.to_thread(accounts.log_in, email, str(form.get("mot_de_passe", "")), source)
    audit.record("console.connexion", "reussie" if session else "echec", email, source)
    if session is None:
        return _login_form(request, "Courriel ou mot de passe incorrect.", status=401)
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
    response.del_cookie(PRE_COOKIE, path="/connexion")
    raise response


async def logout(request: web.Request) -> web.Response:
    session = _session(request)
    request.app[ACCOUNTS].log_out(session.token)
    request.app[DESK].off_duty(session.clinician.email, session.clinician.coops)
    response = web.HTTPSeeOther("/connexion")
    response.del_cookie(COOKIE, path="/")
    raise response


async def account_page(request: web.Request) -> web.Response:
    return _html(pages.account(_session(request), request.query.get("info", "")))


async def change_password(request: web.Request) -> web.Response:
    """The account's own new password: every other session of the account ends."""
    session = _session(request)
    form = await request.post()
    new = str(form.get("nouveau", ""))
    if new != str(form.get("confirmation", "")):
        raise web.HTTPSeeOther("/compte?info=" + urllib.parse.quote("Les deux mots de passe diffèrent."))
    try:
        changed = await asyncio.to_thread(
            request.app[ACCOUNTS].change_password, session, str(form.get("actuel", "")), new
        )
    except ValueError as error:  # AccountError: too short
        raise web.HTTPSeeOther("/compte?info=" + urllib.parse.quote(str(error))) from error
    request.app[AUDIT].record("console.mot_de_passe", "change" if changed else "refuse", session.clinician.email)
    info = "Mot de passe changé; vos autres sessions sont fermées." if changed else "Mot de passe actuel incorrect."
    raise web.HTTPSeeOther("/compte?info=" + urllib.parse.quote(info))


# --- Queue ----------------------------------------------------------------------------------------


async def queue_page(request: web.Request) -> web.Response:
    session = _session(request)
    if session.clinician.is_manager:  # managers: the service dashboard is their page
        raise web.HTTPSeeOther("/tableau")
    if not session.clinician.is_clinical:  # admins: the audit trail is their page
        raise web.HTTPSeeOther("/admin/journal")
    clinician = session.clinician
    request.app[DESK].heartbeat(clinician.email, clinician.coops)
    state = _queue_state(request.app[DESK], clinician)
    bookings = [
        b
        for b in request.app[BOOKINGS].upcoming_for_clinician(clinician.email, datetime.now(QUEBEC))
        if clinician.member_of(b.coop)
    ]
    return _html(pages.queue(session, state, request.query.get("info", ""), bookings, request.app[RULES]))


def _queue_state(desk: HandoffDesk, clinician: Clinician) -> dict[str, Any]:
    return {
        "attente": [pages.ticket_row(t) for t in desk.queue() if sees_ticket(clinician, t)],
        "miens": [pages.ticket_row(t) for t in desk.claimed_by(clinician.email) if sees_ticket(clinician, t)],
        "en_ligne": desk.on_duty(*clinician.coops) if clinician.coops else 0,
    }


def _still_valid(request: web.Request, session: Session) -> Session | None:
    """The stream's session, read again: None once it ended (logout, expiry, password change)."""
    current = request.app[ACCOUNTS].session(session.token)
    return current if current and current.clinician.is_clinical else None


async def queue_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the queue whenever it changes. Keeping it open keeps the clinician on duty;
    the session is checked at every tick, and the stream ends with it."""
    session = _session(request)
    _clinical(request)
    desk = request.app[DESK]
    stream = await _event_stream(request)
    last = ""
    try:
        while True:
            current = _still_valid(request, session)
            if current is None:
                await stream.write(b"event: fin\ndata: {}\n\n")
                break
            desk.heartbeat(current.clinician.email, current.clinician.coops)
            state = json.dumps(_queue_state(desk, current.clinician), ensure_ascii=False)
            if state != last:
                await stream.write(f"event: file\ndata: {state}\n\n".encode())
                last = state
            else:
                await stream.write(b": toujours la\n\n")
            await asyncio.sleep(QUEUE_REFRESH_SECONDS)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        desk.off_duty(session.clinician.email, session.clinician.coops)  # a closed stream: no longer on duty
    return stream


async def _event_stream(request: web.Request) -> web.StreamResponse:
    stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await stream.prepare(request)
    return stream


# --- A ticket -------------------------------------------------------------------------------------


def _ticket(request: web.Request, page: bool = False) -> Ticket:
    """The ticket asked for, if this clinician may see it. Another coop's ticket reads as missing
    (its existence is not revealed) and the attempt is audited; a closed ticket someone else held
    needs a break-glass access (the page offers its form)."""
    clinician = _clinical(request)
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
            raise web.HTTPForbidden(text=pages.break_glass(_session(request), ticket), content_type="text/html")
        raise web.HTTPForbidden(text="Dossier fermé: accès d'urgence requis (voir sa page).")
    return ticket


async def ticket_page(request: web.Request) -> web.Response:
    session, ticket = _session(request), _ticket(request, page=True)
    request.app[AUDIT].access(session.clinician.email, "consultation", ticket.id, coop=ticket.coop)
    transcript = await _transcript(request, ticket)
    thread = request.app[DESK].thread(ticket.id)
    slots = _free_slots(request.app, ticket.coop, "video")[:5] if ticket.status == "pris" else []
    return _html(pages.ticket(session, ticket, transcript, thread, OUTCOMES, slots, request.app[RULES]))


async def break_glass(request: web.Request) -> web.Response:
    """A clinician of the coop opens a closed ticket someone else held, saying why (audited)."""
    clinician = _clinical(request)
    ticket = request.app[DESK].get(request.match_info["id"])
    if ticket is None or not sees_ticket(clinician, ticket):
        if ticket is not None:
            request.app[AUDIT].access(clinician.email, "refus_autre_coop", ticket.id, "POST", ticket.coop)
        raise web.HTTPNotFound(text="Ce dossier n'existe pas ou n'est plus conservé.")
    reason = clean_reason(str((await request.post()).get("raison", "")))
    if not reason:
        return _html(pages.break_glass(_session(request), ticket, "Donnez la raison (10 à 300 caractères)."), 400)
    request.app[BREAK_GLASS].grant(clinician.email, ticket.id)
    request.app[AUDIT].access(clinician.email, "bris_de_verre", ticket.id, reason, ticket.coop)
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
    session, ticket = _session(request), _ticket(request)
    desk = request.app[DESK]
    request.app[AUDIT].access(session.clinician.email, "flux", ticket.id, coop=ticket.coop)
    after = request.query.get("apres") or "$"
    stream = await _event_stream(request)
    try:
        while True:
            current = _still_valid(request, session)
            if current is None or not sees_ticket(current.clinician, ticket):
                await stream.write(b"event: fin\ndata: {}\n\n")
                break
            desk.heartbeat(current.clinician.email, current.clinician.coops)
            entries = await asyncio.to_thread(desk.wait_thread, ticket.id, after, THREAD_WAIT_MS)
            for entry in entries:
                after = entry["id"]
                await stream.write(f"event: fil\ndata: {json.dumps(entry, ensure_ascii=False)}\n\n".encode())
            if not entries:
                await stream.write(b": toujours la\n\n")
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        desk.off_duty(session.clinician.email, session.clinician.coops)
    return stream


async def claim(request: web.Request) -> web.Response:
    session, ticket = _session(request), _ticket(request)
    clinician = session.clinician
    won = request.app[DESK].claim(ticket.id, clinician.email, clinician.name)
    request.app[AUDIT].access(clinician.email, "prise", ticket.id, "ok" if won else "deja_pris", ticket.coop)
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
    request.app[AUDIT].access(clinician.email, "message", ticket.id, "livre" if delivered else "non_livre", ticket.coop)
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
    request.app[AUDIT].access(clinician.email, "fermeture", ticket.id, outcome, ticket.coop)
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
    detail = booking.id if booking else "plage_prise"
    request.app[AUDIT].access(clinician.email, "reservation", ticket.id, detail, ticket.coop)
    if booking is None:
        return _answer(request, {"reserve": False}, f"/tickets/{ticket.id}", status=409)
    text = booking_message(request.app[CONTENT], "rdv.par_clinicien", booking, language_of(ticket.summary))
    await request.app[DELIVERY].send(ticket, text)
    request.app[DESK].post(ticket.id, "clinicien", clinician.name, text)
    return _answer(request, {"reserve": True, "reservation": booking.id}, f"/tickets/{ticket.id}")


def _scheduler(request: web.Request) -> Clinician:
    """Clinicians publish their own availability; a coop admin publishes for their coops' clinicians."""
    clinician = _session(request).clinician
    if not (clinician.is_clinical or clinician.is_admin):
        raise web.HTTPForbidden(text="Réservé aux cliniciens et à l'administration de la coop.")
    return clinician


def _manages(clinician: Clinician, block: Block) -> bool:
    if not clinician.member_of(block.coop):
        return False
    return block.clinician == clinician.email or clinician.is_admin


async def schedule_page(request: web.Request) -> web.Response:
    session = _session(request)
    clinician = _scheduler(request)
    now = datetime.now(QUEBEC)
    mine = None if clinician.is_admin else clinician.email
    blocks = [
        b for b in request.app[AVAILABILITY].blocks(now, now + timedelta(days=60), mine) if _manages(clinician, b)
    ]
    coops = [c for c in sorted(request.app[CONTENT].coops) if clinician.member_of(c)]
    return _html(pages.schedule(session, blocks, coops, request.query.get("info", "")))


async def add_block(request: web.Request) -> web.Response:
    """A block's clinician type is the account's role, never the form's: a nurse publishes as a nurse."""
    session = _session(request)
    clinician = _scheduler(request)
    form = await request.post()
    try:
        owner = clinician
        if clinician.is_admin:
            chosen = request.app[ACCOUNTS].get(str(form.get("clinicien", "")))
            if chosen is None or chosen.role not in CLINICAL_ROLES:
                raise ValueError("choisissez le courriel d'un compte clinique")
            owner = chosen
        coop = str(form.get("coop", ""))
        if not (clinician.member_of(coop) and owner.member_of(coop)):
            raise ValueError("coop hors de vos coops")
        day = str(form.get("jour", ""))
        block = Block(
            owner.email,
            owner.role,
            coop,
            tuple(str(m) for m in form.getall("modalites", [])),
            _local_time(day, str(form.get("debut", ""))),
            _local_time(day, str(form.get("fin", ""))),
        )
    except (ScheduleError, ValueError) as error:
        raise web.HTTPSeeOther(f"/horaire?info={urllib.parse.quote(f'Plage refusée: {error}')}") from error
    request.app[AVAILABILITY].add([block])
    request.app[AUDIT].access(session.clinician.email, "horaire_ajout", "", block.id, block.coop)
    raise web.HTTPSeeOther("/horaire?info=Plage+ajout%C3%A9e.")


async def remove_block(request: web.Request) -> web.Response:
    session = _session(request)
    clinician = _scheduler(request)
    form = await request.post()
    now = datetime.now(QUEBEC)
    for block in request.app[AVAILABILITY].blocks(now - timedelta(days=1), now + timedelta(days=60)):
        if block.id == form.get("bloc") and _manages(clinician, block):
            request.app[AVAILABILITY].remove(block)
            request.app[AUDIT].access(session.clinician.email, "horaire_retrait", "", block.id, block.coop)
    raise web.HTTPSeeOther("/horaire?info=Plage+retir%C3%A9e.")


def _local_time(day: str, hour: str) -> datetime:
    return datetime.strptime(f"{day} {hour}", "%Y-%m-%d %H:%M").replace(tzinfo=QUEBEC)


# --- Admin ----------------------------------------------------------------------------------------


async def audit_page(request: web.Request) -> web.Response:
    """The audit trail, paged and filtered. A coop admin reads the access events of their coops; the
    federation admin reads every coop's, and the security events (logins, identity checks)."""
    session = _session(request)
    clinician = session.clinician
    if not clinician.reads_audit:
        raise web.HTTPForbidden(text="Réservé à l'administration.")
    query = request.query
    kind = "security" if query.get("type") == "securite" and clinician.is_federation else "access"
    coop = query.get("coop", "").strip() or None
    if coop is not None and not sees_audit_of(clinician, coop):
        raise web.HTTPForbidden(text="Cette coop n'est pas la vôtre.")
    actor = query.get("acteur", "").strip()[:200] or None
    ticket = query.get("dossier", "").strip()[:40] or None
    before = query.get("avant") or None
    newer = [p for p in query.get("prec", "").split(",") if p][-20:]  # the pages before, to go back
    if kind == "security" and coop is not None:
        coop = None  # security events belong to no coop
    coops: list[str | None] = [coop] if coop or clinician.is_federation else list(clinician.coops)
    try:
        found = [e for c in coops for e in request.app[AUDIT].entries(kind, c, actor, ticket, before, AUDIT_PAGE)]
    except ValueError as error:
        raise web.HTTPBadRequest(text="Filtre invalide.") from error
    entries = sorted(found, key=lambda e: int(e["id"]), reverse=True)[:AUDIT_PAGE]
    request.app[AUDIT].access(clinician.email, "journal", "", kind, coop or "")
    filters = {"type": "securite" if kind == "security" else "acces", "coop": coop or "", "acteur": actor or ""}
    filters["dossier"] = ticket or ""
    choices = sorted(request.app[CONTENT].coops) if clinician.is_federation else list(clinician.coops)
    return _html(pages.audit(session, entries, filters, choices, before or "", newer, AUDIT_PAGE))


async def accounts_page(request: web.Request) -> web.Response:
    """The federation admin's view of every account, its role and coops (changes: tools.console_user)."""
    session = _session(request)
    if not session.clinician.is_federation:
        raise web.HTTPForbidden(text="Réservé à l'administration de la fédération.")
    request.app[AUDIT].access(session.clinician.email, "comptes", "")
    return _html(pages.accounts(session, request.app[ACCOUNTS].all()))


# --- The no-answer timer --------------------------------------------------------------------------


async def _timer(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_no_answer_timer(app))
    yield
    task.cancel()


async def _no_answer_timer(app: web.Application) -> None:
    """Tell members honestly when nobody claimed their request in time; their ticket stays queued."""
    desk, timeout = app[DESK], app[SETTINGS]["timeout"]
    purged = 0.0
    while True:
        try:
            if time.monotonic() - purged >= PURGE_EVERY_SECONDS or not purged:
                await asyncio.to_thread(_purge_expired, app)
                purged = time.monotonic()
            for ticket in desk.overdue(timeout):
                desk.mark_wait_notice(ticket.id)
                waiting = app[CONTENT].say("relais.attente", language_of(ticket.summary), ticket.coop)
                await app[DELIVERY].send(ticket, waiting)
                desk.post(ticket.id, "avis", "", "Le membre a été avisé de l'attente (811, rendez-vous).")
            await _send_reminders(app)
        except Exception:
            log.exception("console.timer_failed")
        await asyncio.sleep(max(0.5, min(5.0, timeout / 4)))


def _purge_expired(app: web.Application) -> None:
    """The records past their retention, in every store of the system of record (bot/records/retention.py)."""
    desk = app[DESK]
    counts = purge_all(record_stores(desk.engine, desk.redis, load_settings()), datetime.now(QUEBEC))
    log.info("console.purged %s", " ".join(f"{name}={count}" for name, count in counts.items()))


async def _send_reminders(app: web.Application) -> None:
    """Booking reminders that are due: kept in PostgreSQL, so a restart loses none, and each sent once."""
    marks = ReminderMarks(app[DESK].redis)
    for booking, kind in app[BOOKINGS].due_reminders(time.time()):
        language = language_of(booking.summary)
        # ANNULER in answer is about this booking, whichever reminder it follows (the last one may be
        # another booking's): the 1 h reminder's ANNULER gets "too late to cancel", never another booking.
        marks.mark(booking.conversation, booking)
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
        # Behind a reverse proxy that sets X-Forwarded-For: count login failures per real client.
        "trust_forwarded": os.environ.get("CONSOLE_TRUST_FORWARDED_FOR", "") == "1",
        "started": time.time(),
    }
