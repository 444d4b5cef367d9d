"""The live queue: the page and its stream (server-sent events), which keep the clinician on duty.

Every refresh reads the tickets in one PostgreSQL query (in a thread) and sends the heartbeat and
reads who is on duty in one Redis round trip (`redis.asyncio`): the event loop never waits on either.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.booking.availability import QUEBEC
from bot.handoff.clinicians import Clinician
from bot.handoff.desk import beat, count_on_duty, on_duty_count
from console import pages
from console.access import sees_ticket
from console.shared import (
    BOOKINGS,
    DESK,
    LIVE,
    RULES,
    clinical,
    event_stream,
    html_page,
    off_duty,
    session_of,
    still_valid,
)

QUEUE_REFRESH_SECONDS = 1.5


async def queue_page(request: web.Request) -> web.Response:
    session = session_of(request)
    if session.clinician.is_manager:  # managers: the service dashboard is their page
        raise web.HTTPSeeOther("/tableau")
    if not session.clinician.is_clinical:  # admins: the audit trail is their page
        raise web.HTTPSeeOther("/admin/journal")
    clinician = session.clinician
    state = await _queue_state(request, clinician)
    upcoming = await asyncio.to_thread(
        request.app[BOOKINGS].upcoming_for_clinician, clinician.email, datetime.now(QUEBEC)
    )
    bookings = [b for b in upcoming if clinician.member_of(b.coop)]
    return html_page(pages.queue(session, state, request.query.get("info", ""), bookings, request.app[RULES]))


async def _queue_state(request: web.Request, clinician: Clinician) -> dict[str, Any]:
    """The clinician's view of the queue, after their heartbeat: one query, one Redis round trip."""
    waiting, mine = await asyncio.to_thread(request.app[DESK].board, clinician.email)
    pipe = beat(request.app[LIVE].pipeline(transaction=False), clinician.email, clinician.coops)
    count_on_duty(pipe, clinician.coops)
    replies = await pipe.execute()
    return {
        "attente": [pages.ticket_row(t) for t in waiting if sees_ticket(clinician, t)],
        "miens": [pages.ticket_row(t) for t in mine if sees_ticket(clinician, t)],
        "en_ligne": on_duty_count(replies[len(replies) - len(clinician.coops) :]),  # the last: one per coop
    }


async def queue_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the queue whenever it changes. Keeping it open keeps the clinician on duty;
    the session is checked at every tick, and the stream ends with it."""
    session = session_of(request)
    clinical(request)
    stream = await event_stream(request)
    last = ""
    try:
        while True:
            current = await still_valid(request, session)
            if current is None:
                await stream.write(b"event: fin\ndata: {}\n\n")
                break
            state = json.dumps(await _queue_state(request, current.clinician), ensure_ascii=False)
            if state != last:
                await stream.write(f"event: file\ndata: {state}\n\n".encode())
                last = state
            else:
                await stream.write(b": toujours la\n\n")
            await asyncio.sleep(QUEUE_REFRESH_SECONDS)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        await off_duty(request, session.clinician)  # a closed stream: no longer on duty
    return stream
