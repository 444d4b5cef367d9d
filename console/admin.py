"""Administration: the audit trail (coop admins: their coops' access events; the federation admin:
every coop's, and the security events) and the federation admin's list of accounts."""

from __future__ import annotations

import asyncio

from aiohttp import web

from console import pages
from console.access import sees_audit_of
from console.shared import ACCOUNTS, AUDIT, CONTENT, html_page, session_of

AUDIT_PAGE = 50


async def audit_page(request: web.Request) -> web.Response:
    """The audit trail, paged and filtered. A coop admin reads the access events of their coops; the
    federation admin reads every coop's, and the security events (logins, identity checks)."""
    session = session_of(request)
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
        found = await asyncio.to_thread(
            lambda: [e for c in coops for e in request.app[AUDIT].entries(kind, c, actor, ticket, before, AUDIT_PAGE)]
        )
    except ValueError as error:
        raise web.HTTPBadRequest(text="Filtre invalide.") from error
    entries = sorted(found, key=lambda e: int(e["id"]), reverse=True)[:AUDIT_PAGE]
    await asyncio.to_thread(request.app[AUDIT].access, clinician.email, "journal", "", kind, coop or "")
    filters = {"type": "securite" if kind == "security" else "acces", "coop": coop or "", "acteur": actor or ""}
    filters["dossier"] = ticket or ""
    choices = sorted(request.app[CONTENT].coops) if clinician.is_federation else list(clinician.coops)
    return html_page(pages.audit(session, entries, filters, choices, before or "", newer, AUDIT_PAGE))


async def accounts_page(request: web.Request) -> web.Response:
    """The federation admin's view of every account, its role and coops (changes: ops.console_user)."""
    session = session_of(request)
    if not session.clinician.is_federation:
        raise web.HTTPForbidden(text="Réservé à l'administration de la fédération.")
    await asyncio.to_thread(request.app[AUDIT].access, session.clinician.email, "comptes", "")
    return html_page(pages.accounts(session, await asyncio.to_thread(request.app[ACCOUNTS].all)))
