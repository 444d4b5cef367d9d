"""Availability blocks: a clinician publishes their own, a coop admin those of their coops' clinicians."""

from __future__ import annotations

import asyncio
import urllib.parse
from datetime import datetime, timedelta

from aiohttp import web

from bot.booking.availability import QUEBEC, Block, ScheduleError
from bot.handoff.clinicians import CLINICAL_ROLES, Clinician
from console import pages
from console.shared import ACCOUNTS, AUDIT, AVAILABILITY, CONTENT, html_page, session_of


def _scheduler(request: web.Request) -> Clinician:
    """Clinicians publish their own availability; a coop admin publishes for their coops' clinicians."""
    clinician = session_of(request).clinician
    if not (clinician.is_clinical or clinician.is_admin):
        raise web.HTTPForbidden(text="Réservé aux cliniciens et à l'administration de la coop.")
    return clinician


def _manages(clinician: Clinician, block: Block) -> bool:
    if not clinician.member_of(block.coop):
        return False
    return block.clinician == clinician.email or clinician.is_admin


async def schedule_page(request: web.Request) -> web.Response:
    session = session_of(request)
    clinician = _scheduler(request)
    now = datetime.now(QUEBEC)
    mine = None if clinician.is_admin else clinician.email
    found = await asyncio.to_thread(request.app[AVAILABILITY].blocks, now, now + timedelta(days=60), mine)
    blocks = [b for b in found if _manages(clinician, b)]
    coops = [c for c in sorted(request.app[CONTENT].coops) if clinician.member_of(c)]
    return html_page(pages.schedule(session, blocks, coops, request.query.get("info", "")))


async def add_block(request: web.Request) -> web.Response:
    """A block's clinician type is the account's role, never the form's: a nurse publishes as a nurse."""
    session = session_of(request)
    clinician = _scheduler(request)
    form = await request.post()
    try:
        owner = clinician
        if clinician.is_admin:
            chosen = await asyncio.to_thread(request.app[ACCOUNTS].get, str(form.get("clinicien", "")))
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
    await asyncio.to_thread(request.app[AVAILABILITY].add, [block])
    await asyncio.to_thread(
        request.app[AUDIT].access, session.clinician.email, "horaire_ajout", "", block.id, block.coop
    )
    raise web.HTTPSeeOther("/horaire?info=Plage+ajout%C3%A9e.")


async def remove_block(request: web.Request) -> web.Response:
    session = session_of(request)
    clinician = _scheduler(request)
    form = await request.post()
    now = datetime.now(QUEBEC)

    def remove() -> None:  # PostgreSQL: in a thread
        for block in request.app[AVAILABILITY].blocks(now - timedelta(days=1), now + timedelta(days=60)):
            if block.id == form.get("bloc") and _manages(clinician, block):
                request.app[AVAILABILITY].remove(block)
                request.app[AUDIT].access(session.clinician.email, "horaire_retrait", "", block.id, block.coop)

    await asyncio.to_thread(remove)
    raise web.HTTPSeeOther("/horaire?info=Plage+retir%C3%A9e.")


def _local_time(day: str, hour: str) -> datetime:
    return datetime.strptime(f"{day} {hour}", "%Y-%m-%d %H:%M").replace(tzinfo=QUEBEC)
