"""The console's web app (aiohttp): `make_app` wires the routes of each concern to the stores.

The routes live by concern: console/auth.py (login, logout, sessions, CSRF, the account's password),
console/queue.py (the live queue), console/tickets.py (a ticket, its stream, claim, reply, close,
booking for its member, break-glass), console/schedules.py (availability), console/admin.py (the
audit trail, the accounts), console/dashboard.py (the managers' dashboard, no-show marks); the
pages are Jinja2 templates (console/pages.py, console/templates/). The timed work (no-answer
notices, booking reminders, the purge) runs in its own process: console/worker.py.

Security: every POST carries a CSRF token and an Origin of the console itself (console/auth.py);
pages forbid framing and load only the console's own scripts. Access follows coops and roles
(console/access.py): a clinician sees their coops' tickets only, another coop's ticket reads as
missing; admins see the audit trail, no clinical content. Every view, stream, claim, message,
closing and refusal is written to the audit trail; login attempts go to the security trail.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web
from redis.asyncio import Redis as AsyncRedis

from bot.booking.availability import Availability, BookingRules
from bot.booking.store import BookingStore
from bot.content import Content
from bot.handoff.clinicians import ClinicianAccounts
from bot.handoff.desk import HandoffDesk
from bot.platform.audit import AuditLog
from bot.platform.redis_clients import async_client
from bot.platform.settings import console_section
from console import admin, auth, dashboard, queue, schedules, tickets
from console.access import BreakGlass
from console.auth import Handler
from console.delivery import MemberDelivery
from console.shared import (
    ACCOUNTS,
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
    SETTINGS,
)
from console.transcript import identity_prompts

__all__ = [  # the app keys, for tests and tools that read the app's stores
    "ACCOUNTS",
    "AUDIT",
    "AVAILABILITY",
    "BOOKINGS",
    "BREAK_GLASS",
    "CONTENT",
    "DELIVERY",
    "DESK",
    "LIVE",
    "PROMPTS",
    "RULES",
    "SETTINGS",
    "make_app",
    "settings_from_env",
]

STATIC = Path(__file__).resolve().parent / "static"


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
    live: AsyncRedis[str] | None = None,
) -> web.Application:
    """The console over its stores; `live`, the `redis.asyncio` client of the handlers, defaults to one on
    the delivery's Redis (the same server as the stores'), closed with the app."""
    app = web.Application(middlewares=[_security_headers, _bad_input, auth.sessions], client_max_size=64 * 1024)
    app[DESK], app[ACCOUNTS], app[AUDIT], app[DELIVERY], app[CONTENT] = desk, accounts, audit, delivery, content
    app[BOOKINGS], app[AVAILABILITY], app[RULES] = BookingStore(desk.engine), Availability(desk.engine), rules
    app[SETTINGS] = {"timeout": timeout_seconds, "secure": secure_cookies, "trust_forwarded": trust_forwarded}
    app[BREAK_GLASS], app[PROMPTS] = BreakGlass(desk.redis), identity_prompts(content)
    app[LIVE] = live if live is not None else async_client(delivery.redis_url)
    if live is None:
        app.cleanup_ctx.append(_closing_live)
    app.router.add_get("/sante", health)
    app.router.add_get("/connexion", auth.login_page)
    app.router.add_post("/connexion", auth.login)
    app.router.add_post("/deconnexion", auth.logout)
    app.router.add_get("/", queue.queue_page)
    app.router.add_get("/flux/file", queue.queue_stream)
    app.router.add_get("/tickets/{id}", tickets.ticket_page)
    app.router.add_get("/flux/tickets/{id}", tickets.ticket_stream)
    app.router.add_post("/tickets/{id}/prendre", tickets.claim)
    app.router.add_post("/tickets/{id}/messages", tickets.reply)
    app.router.add_post("/tickets/{id}/fermer", tickets.close)
    app.router.add_post("/tickets/{id}/reserver", tickets.book_for_member)
    app.router.add_post("/tickets/{id}/bris-de-verre", tickets.break_glass)
    app.router.add_get("/compte", auth.account_page)
    app.router.add_post("/compte", auth.change_password)
    app.router.add_get("/horaire", schedules.schedule_page)
    app.router.add_post("/horaire", schedules.add_block)
    app.router.add_post("/horaire/retirer", schedules.remove_block)
    app.router.add_get("/admin/journal", admin.audit_page)
    app.router.add_get("/admin/comptes", admin.accounts_page)
    dashboard.add_routes(app, desk.engine, audit, content, timeout_seconds)
    app.router.add_static("/static/", STATIC)
    return app


# --- Middlewares (the session and CSRF one: console/auth.py) ---------------------------------------


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


@web.middleware
async def _bad_input(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A form that cannot be read (wrong encoding, broken body) is the sender's error: 400, not 500."""
    try:
        return await handler(request)
    except (UnicodeDecodeError, ValueError):
        return web.Response(status=400, text="Requête illisible.")


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok", "en_ligne": await asyncio.to_thread(request.app[DESK].on_duty)})


async def _closing_live(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[LIVE].close()


def settings_from_env() -> dict[str, Any]:
    console = console_section()
    return {
        "timeout": console.handoff_timeout_seconds,
        "secure": console.secure_cookies,
        # Behind a reverse proxy that sets X-Forwarded-For: count login failures per real client.
        "trust_forwarded": console.trust_forwarded_for,
        "started": time.time(),
    }
