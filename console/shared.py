"""What the console's route modules share: the app keys of the stores, the session at the keyboard,
the event streams, and the two kinds of answers (an HTML page; JSON for the scripts or a redirect)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from redis.asyncio import Redis as AsyncRedis

from bot.booking.availability import Availability, BookingRules
from bot.booking.store import BookingStore
from bot.content import Content
from bot.handoff.clinicians import AsyncSessions, Clinician, ClinicianAccounts, Session
from bot.handoff.desk import HandoffDesk, beat, leave
from bot.platform.audit import AuditLog
from console.access import BreakGlass
from console.delivery import MemberDelivery

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
LIVE = web.AppKey("live_redis", AsyncRedis)  # redis.asyncio: what the handlers read on the event loop


def session_of(request: web.Request) -> Session:
    session: Session = request["session"]
    return session


def clinical(request: web.Request) -> Clinician:
    """The clinician at the keyboard; admins (coop or federation) see no clinical content."""
    clinician = session_of(request).clinician
    if not clinician.is_clinical:
        raise web.HTTPForbidden(text="Réservé aux cliniciens.")
    return clinician


async def still_valid(request: web.Request, session: Session) -> Session | None:
    """The stream's session, read again: None once it ended (logout, expiry, password change)."""
    current = await AsyncSessions(request.app[LIVE]).session(session.token)
    return current if current and current.clinician.is_clinical else None


async def heartbeat(request: web.Request, clinician: Clinician) -> None:
    """The clinician has the console open: on duty for their coops a minute more (bot/handoff/desk.py)."""
    await beat(request.app[LIVE].pipeline(transaction=False), clinician.email, clinician.coops).execute()


async def off_duty(request: web.Request, clinician: Clinician) -> None:
    await leave(request.app[LIVE].pipeline(transaction=False), clinician.email, clinician.coops).execute()


async def event_stream(request: web.Request) -> web.StreamResponse:
    stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"})
    await stream.prepare(request)
    return stream


def html_page(body: str, status: int = 200) -> web.Response:
    return web.Response(text=body, content_type="text/html", charset="utf-8", status=status)


def respond(request: web.Request, data: dict[str, Any], redirect: str, status: int = 200) -> web.Response:
    """JSON for the page's scripts, a redirect for a plain form (without JavaScript)."""
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response(data, status=status)
    raise web.HTTPSeeOther(redirect)
