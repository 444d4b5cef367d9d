"""The coop manager's dashboard (`/tableau`, its CSV `/tableau.csv`) and the clinicians' no-show marks.

A manager (`gestionnaire`) reads the figures of their own coops, one coop or all of theirs, by week
or by month: aggregates only (bot/records/service_report.py), small counts suppressed, no member named, no
ticket reachable (the ticket routes are for clinicians). Every view and every export is written to
the audit trail, once per coop it covered. Clinicians note, on `/rendez-vous`, the members who did
not come to a booking of theirs; the dashboard counts those marks.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from datetime import date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.engine import Engine

from bot.booking.french_time import french_datetime
from bot.booking.store import Booking, BookingStore
from bot.content import Content
from bot.handoff.clinicians import Session
from bot.platform.audit import AuditLog
from bot.records.service_report import (
    PERIODS,
    QUEBEC,
    Period,
    Report,
    Table,
    last_complete_week,
    number,
    period_of,
    report,
)
from console import pages
from console.access import sees_dashboard_of
from console.charts import bars

ENGINE: web.AppKey[Engine] = web.AppKey("dashboard_engine", Engine)
AUDIT = web.AppKey("dashboard_audit", AuditLog)
CONTENT = web.AppKey("dashboard_content", Content)
TARGET = web.AppKey("dashboard_target", float)


def add_routes(app: web.Application, engine: Engine, audit: AuditLog, content: Content, target: float) -> None:
    app[ENGINE], app[AUDIT], app[CONTENT], app[TARGET] = engine, audit, content, target
    app.router.add_get("/tableau", dashboard_page)
    app.router.add_get("/tableau.csv", dashboard_csv)
    app.router.add_get("/rendez-vous", past_bookings_page)
    app.router.add_post("/rendez-vous/{id}/absence", mark_no_show)


def _session(request: web.Request) -> Session:
    session: Session = request["session"]
    return session


def _asked(request: web.Request) -> tuple[Session, Period, tuple[str, ...]]:
    """The manager, the period and the coops asked for; 403 to anyone else or for another coop."""
    session = _session(request)
    manager = session.clinician
    if not manager.is_manager:
        raise web.HTTPForbidden(text="Réservé à la gestion de la coop.")
    kind = request.query.get("periode", "semaine")
    if kind not in PERIODS:
        raise web.HTTPBadRequest(text="Période invalide.")
    day = request.query.get("debut", "")
    try:
        period = period_of(kind, date.fromisoformat(day)) if day else None
    except ValueError as error:
        raise web.HTTPBadRequest(text="Date invalide.") from error
    if period is None:
        today = datetime.now(QUEBEC).date()
        period = last_complete_week(today) if kind == "semaine" else period_of("mois", today)
    coop = request.query.get("coop", "").strip()
    if coop and not sees_dashboard_of(manager, coop):
        raise web.HTTPForbidden(text="Cette coop n'est pas la vôtre.")
    coops = (coop,) if coop else manager.coops
    return session, period, coops


def _report(request: web.Request, period: Period, coops: tuple[str, ...]) -> Report:
    content = request.app[CONTENT]

    def label(topic: str) -> str:
        return content.label(topic, "fr") if topic in content.answers else topic

    return report(request.app[ENGINE], coops, period, request.app[TARGET], label)


def _audit(request: web.Request, session: Session, action: str, period: Period, coops: tuple[str, ...]) -> None:
    for coop in coops:
        request.app[AUDIT].access(session.clinician.email, action, "", f"{period.kind} {period.start}", coop)


async def dashboard_page(request: web.Request) -> web.Response:
    session, period, coops = _asked(request)
    found = await asyncio.to_thread(_report, request, period, coops) if coops else None
    await asyncio.to_thread(_audit, request, session, "tableau", period, coops)
    body = render(session, period, coops, request.query.get("coop", ""), found)
    return web.Response(text=body, content_type="text/html", charset="utf-8")


async def dashboard_csv(request: web.Request) -> web.Response:
    session, period, coops = _asked(request)
    found = await asyncio.to_thread(_report, request, period, coops)
    await asyncio.to_thread(_audit, request, session, "tableau_csv", period, coops)
    name = f"coopsante-{'-'.join(coops) or 'aucune'}-{period.kind}-{period.start}.csv"
    return web.Response(
        text=found.csv(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- The page -------------------------------------------------------------------------------------


def _query(period: Period, coop: str) -> str:
    return urllib.parse.urlencode({"periode": period.kind, "debut": period.start.isoformat(), "coop": coop})


def render(session: Session, period: Period, coops: tuple[str, ...], chosen: str, found: Report | None) -> str:
    return pages.render(
        "dashboard.html",
        title="Tableau de bord",
        session=session,
        periods=list(PERIODS.items()),
        period=period,
        coops_of_manager=session.clinician.coops,
        chosen=chosen,
        previous=_query(period.previous(), chosen),
        next=_query(period.next(), chosen),
        current=_query(period, chosen),
        scope=", ".join(coops) if coops else "aucune (demandez à l'administration)",
        tables=[_section(t) for t in found.tables] if found else [],
    )


def _section(table: Table) -> dict[str, Any]:
    """A table of the report, with the chart that repeats one of its columns (if it has one and rows)."""
    chart = None
    if table.chart is not None and table.rows:
        column = table.chart
        chart = bars([(label, cells[column], number(cells[column])) for label, cells in table.rows])
    return {
        "key": table.key,
        "title": table.title,
        "label": table.label,
        "columns": table.columns,
        "rows": table.rows,
        "chart": chart,
        "note": table.note,
    }


# --- No-shows -------------------------------------------------------------------------------------


def _clinician_session(request: web.Request) -> Session:
    session = _session(request)
    if not session.clinician.is_clinical:
        raise web.HTTPForbidden(text="Réservé aux cliniciens.")
    return session


async def past_bookings_page(request: web.Request) -> web.Response:
    """The clinician's bookings of the last 7 days that have started, to note who did not come."""
    session = _clinician_session(request)
    store = BookingStore(request.app[ENGINE])
    recent = await asyncio.to_thread(store.recent_for_clinician, session.clinician.email, datetime.now(QUEBEC))
    mine = [(b, absent) for b, absent in recent if session.clinician.member_of(b.coop)]
    await asyncio.to_thread(request.app[AUDIT].access, session.clinician.email, "rendez_vous_passes", "")
    body = _past(session, mine, request.query.get("info", ""))
    return web.Response(text=body, content_type="text/html", charset="utf-8")


def _past(session: Session, bookings: list[tuple[Booking, bool]], info: str) -> str:
    rows = [
        {
            "id": booking.id,
            "start": french_datetime(booking.start),
            "member": booking.member_name,
            "coop": booking.coop,
            "absent": absent,
        }
        for booking, absent in bookings
    ]
    return pages.render("past_bookings.html", title="Mes rendez-vous passés", session=session, info=info, bookings=rows)


async def mark_no_show(request: web.Request) -> web.Response:
    session = _clinician_session(request)
    store = BookingStore(request.app[ENGINE])

    def mark() -> bool:  # PostgreSQL: in a thread
        booking = store.get(request.match_info["id"])
        clinician = session.clinician
        if booking is None or booking.clinician != clinician.email or not clinician.member_of(booking.coop):
            raise web.HTTPNotFound(text="Ce rendez-vous n'existe pas ou n'est pas le vôtre.")
        marked = store.mark_no_show(booking.id, clinician.email, datetime.now(QUEBEC))
        request.app[AUDIT].access(clinician.email, "absence", "", booking.id, booking.coop)
        return marked

    marked = await asyncio.to_thread(mark)
    info = "Absence notée." if marked else "Absence déjà notée, ou rendez-vous pas encore commencé."
    raise web.HTTPSeeOther("/rendez-vous?info=" + urllib.parse.quote(info))
