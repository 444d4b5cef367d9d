"""The live queue: the page and its stream (server-sent events), which keep the clinician on duty."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.booking.availability import QUEBEC
from bot.handoff.clinicians import Clinician
from bot.handoff.desk import HandoffDesk
from console import pages
from console.access import sees_ticket
from console.shared import BOOKINGS, DESK, RULES, clinical, event_stream, html_page, session_of, still_valid

QUEUE_REFRESH_SECONDS = 1.5


async def queue_page(request: web.Request) -> web.Response:
    session = session_of(request)
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
    return html_page(pages.queue(session, state, request.query.get("info", ""), bookings, request.app[RULES]))


def _queue_state(desk: HandoffDesk, clinician: Clinician) -> dict[str, Any]:
    return {
        "attente": [pages.ticket_row(t) for t in desk.queue() if sees_ticket(clinician, t)],
        "miens": [pages.ticket_row(t) for t in desk.claimed_by(clinician.email) if sees_ticket(clinician, t)],
        "en_ligne": desk.on_duty(*clinician.coops) if clinician.coops else 0,
    }


async def queue_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the queue whenever it changes. Keeping it open keeps the clinician on duty;
    the session is checked at every tick, and the stream ends with it."""
    session = session_of(request)
    clinical(request)
    desk = request.app[DESK]
    stream = await event_stream(request)
    last = ""
    try:
        while True:
            current = still_valid(request, session)
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
