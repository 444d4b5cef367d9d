"""The console's pages, in French: Jinja2 templates (console/templates/), autoescaped, no inline
script or style (strict CSP).

Each function here shapes what one page shows (labels, times, the order of facts) and renders its
template; the templates hold the HTML. Every value a template prints is escaped unless it is already
`Markup`, with `html.escape`'s quoting (both quotes), so attribute values are safe too.

Line breaks and the indentation that follows them are not part of a template's output (the loader
joins the lines): templates are written one element per line and a page's HTML stays as compact as
the console's scripts and tests read it. A sentence therefore stays on one line of its template.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import BaseLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from bot.booking.availability import Block, BookingRules, Slot
from bot.booking.french_time import QUEBEC, french_datetime
from bot.booking.store import Booking
from bot.handoff.clinicians import Clinician, Session
from bot.handoff.desk import Ticket, TicketStatus

TEMPLATES = Path(__file__).resolve().parent / "templates"
DISPOSITIONS = {
    "911": "911",
    "crise": "Crise",
    "urgence": "Urgent",
    "clinicien": "Clinicien",
}
CHANNELS = {"sms": "Texto", "web": "Clavardage", "voice": "Téléphone"}
TYPE_LABELS = {"medecin": "Médecin", "ips": "Infirmière praticienne", "infirmiere": "Infirmière"}
MODALITY_LABELS = {"video": "Vidéo", "telephone": "Téléphone", "clavardage": "Clavardage"}
# A booking's summary as the clinician reads it, in this order (the member's own words and answers).
BOOKING_SUMMARY = (("motif", "Motif"), ("pour_qui", "Pour qui"), ("age", "Âge"), ("depuis_quand", "Depuis quand"))
_LINE_BREAK = re.compile(r"\n[ \t]*")


class _JoinedLines(FileSystemLoader):
    """Templates with their line breaks and indentation removed (see the module's docstring)."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        return _LINE_BREAK.sub("", source), filename, uptodate


def _escaped(value: Any) -> Markup:
    """What `{{ value }}` prints: `Markup` as is, anything else escaped as `html.escape` does."""
    return value if isinstance(value, Markup) else Markup(html.escape(str(value)))


def environment(loader: BaseLoader | None = None) -> Environment:
    return Environment(
        loader=loader or _JoinedLines(TEMPLATES),
        autoescape=True,
        finalize=_escaped,
        undefined=StrictUndefined,  # a misspelt name fails the page (and its test), not prints nothing
        keep_trailing_newline=False,
    )


TEMPLATE_ENV = environment()


def render(template: str, **context: Any) -> str:
    """A page of console/templates/, with `context` (every page gets `session` and `script`, maybe None)."""
    context.setdefault("session", None)
    context.setdefault("script", "")
    return TEMPLATE_ENV.get_template(template).render(**context)


def _time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, QUEBEC).strftime("%H h %M") if epoch else ""


def login(error: str, csrf: str) -> str:
    return render("login.html", title="Connexion", error=error, csrf=csrf)


def account(session: Session, info: str) -> str:
    coops = ", ".join(session.clinician.coops) or "aucune (demandez à l'administration)"
    return render("account.html", title="Mon compte", session=session, info=info, coops=coops)


def break_glass(session: Session, ticket: Ticket, error: str = "") -> str:
    """A closed ticket held by someone else: open it only with a reason, which is audited."""
    title = f"Dossier {ticket.id} · accès d'urgence"
    return render("break_glass.html", title=title, session=session, ticket=ticket, error=error)


def ticket_row(ticket: Ticket) -> dict[str, Any]:
    """A queue row, for the page and for the queue's stream (console/static/console.js draws it alike)."""
    return {
        "id": ticket.id,
        "urgent": ticket.priority == 0,
        "signale": ticket.flagged,
        "disposition": DISPOSITIONS.get(ticket.disposition, ticket.disposition),
        "attente_min": int(ticket.waiting_seconds // 60),
        "cree": _time(ticket.created),
        "canal": CHANNELS.get(ticket.channel, ticket.channel),
        "coop": ticket.coop,
        "motif": ticket.summary.get("motif", "")[:120],
        "membre": ticket.member_name,
        "clinicien": ticket.clinician_name,
    }


def queue(
    session: Session,
    state: Mapping[str, Any],
    info: str,
    bookings: Sequence[Booking] = (),
    rules: BookingRules | None = None,
) -> str:
    upcoming = [_upcoming(b, rules) for b in bookings] if rules is not None else []
    return render(
        "queue.html",
        title="File d'attente",
        session=session,
        script="console.js",
        state=state,
        info=info,
        bookings=upcoming,
    )


def _upcoming(booking: Booking, rules: BookingRules) -> dict[str, str]:
    facts = [(label, booking.summary.get(key)) for key, label in BOOKING_SUMMARY]
    if booking.summary.get("langue") == "anglais":
        facts.append(("Langue", "anglais"))
    return {
        "start": french_datetime(booking.start),
        "member": f"{booking.member_name} ({booking.member_number})",
        "modality": rules.modality_labels.get(booking.modality, booking.modality),
        "summary": " · ".join(f"{label}: {value}" for label, value in facts if value),
    }


def schedule(session: Session, blocks: Sequence[Block], coops: Sequence[str], info: str) -> str:
    rows = [
        {
            "id": b.id,
            "start": french_datetime(b.start),
            "end": b.end.astimezone(QUEBEC).strftime("%H h %M"),
            "type": b.clinician_type,
            "coop": b.coop,
            "modalities": ", ".join(b.modalities),
        }
        for b in blocks
    ]
    # A coop admin publishes for a clinician of the coop (None: the form asks whom); a clinician's
    # blocks are of their own role.
    role = session.clinician.role
    type_label = None if session.clinician.is_admin else TYPE_LABELS.get(role, role)
    return render(
        "schedule.html",
        title="Mon horaire",
        session=session,
        info=info,
        blocks=rows,
        coops=coops,
        type_label=type_label,
        modalities=list(MODALITY_LABELS.items()),
    )


def ticket(
    session: Session,
    ticket: Ticket,
    transcript: Sequence[Mapping[str, Any]],
    thread: Sequence[Mapping[str, str]],
    outcomes: Mapping[str, str],
    slots: Sequence[Slot] = (),
    rules: BookingRules | None = None,
) -> str:
    summary = ticket.summary
    status: dict[str, str] = {
        TicketStatus.WAITING: "En attente",
        TicketStatus.CLAIMED: f"Pris par {ticket.clinician_name}",
        TicketStatus.CLOSED: "Fermé",
    }
    facts = [
        ("Membre", f"{ticket.member_name} ({ticket.member_number})"),
        ("Pour qui", summary.get("pour_qui", "")),
        ("Âge", summary.get("age", "non connu")),
        ("Motif", summary.get("motif", "")),
        ("Depuis quand", summary.get("depuis_quand", "")),
        ("Triage", f"{DISPOSITIONS.get(ticket.disposition, ticket.disposition)} · {', '.join(ticket.reasons)}"),
        ("Canal", f"{CHANNELS.get(ticket.channel, ticket.channel)} · coop {ticket.coop}"),
        ("Statut", status.get(ticket.status, ticket.status)),
    ]
    lines = [
        {"css": _who_class(line["qui"]), "who": _who(line["qui"]), "at": _time(float(line["a"])), "text": line["texte"]}
        for line in transcript
    ]
    choices = [(s.id, french_datetime(s.start), rules.labels[s.clinician_type]) for s in slots] if rules else []
    return render(
        "ticket.html",
        title=f"Dossier {ticket.id}",
        session=session,
        script="console.js",
        ticket=ticket,
        facts=facts,
        lines=lines,
        last=thread[-1]["id"] if thread else "0-0",
        mine=ticket.status == TicketStatus.CLAIMED and ticket.clinician == session.clinician.email,
        outcomes=[(k, v) for k, v in outcomes.items() if k != "annule"],
        slots=choices,
    )


def _who(who: str) -> str:
    return {"membre": "Membre", "bot": "Assistant"}.get(who, who)


def _who_class(who: str) -> str:
    return {"membre": "membre", "bot": "bot"}.get(who, "clinicien")


def audit(
    session: Session,
    entries: Sequence[Mapping[str, str]],
    filters: Mapping[str, str],
    coops: Sequence[str],
    before: str,
    newer: Sequence[str],
    page_size: int,
) -> str:
    rows = [
        {
            "cells": (
                _stamp(e["at"]),
                e.get("actor", "") or e.get("subjects", "")[:12],
                "console." + e["action"] if e.get("action") else e.get("event", ""),
                e.get("coop", ""),
                e.get("ticket", ""),
                e.get("detail", "") or e.get("outcome", ""),
            )
        }
        for e in entries
    ]
    kinds = [("acces", "Accès aux dossiers")]
    if session.clinician.is_federation:
        kinds.append(("securite", "Sécurité (connexions, vérifications d'identité)"))
    base = {k: v for k, v in filters.items() if v}
    links = []
    if before:
        back = dict(base, **({"avant": newer[-1], "prec": ",".join(newer[:-1])} if newer else {}))
        links.append(("Plus récents", "/admin/journal?" + urlencode(back)))
    if len(entries) >= page_size:
        older = dict(base, avant=entries[-1]["id"], prec=",".join([*newer, before] if before else newer))
        links.append(("Plus anciens", "/admin/journal?" + urlencode(older)))
    return render(
        "audit.html",
        title="Journal des accès",
        session=session,
        entries=rows,
        filters={key: filters.get(key, "") for key in ("type", "coop", "acteur", "dossier")},
        kinds=kinds,
        everyone="Toutes" if session.clinician.is_federation else "Toutes mes coops",
        coops=coops,
        before=before,
        links=links,
        caption="Journal de sécurité" if filters.get("type") == "securite" else "Journal des accès",
    )


def _stamp(at: str) -> str:
    """An entry's time (ISO 8601, UTC) in Quebec's time."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return ""
    return moment.astimezone(QUEBEC).strftime("%Y-%m-%d %H h %M")


def accounts(session: Session, everyone: Sequence[Clinician]) -> str:
    rows = [
        {
            "email": c.email,
            "name": c.name,
            "role": c.role_label,
            "coops": ", ".join(c.coops) or ("toutes" if c.is_federation else "aucune: ne voit rien"),
        }
        for c in everyone
    ]
    return render("accounts.html", title="Comptes", session=session, accounts=rows)
