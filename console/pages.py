"""The console's pages, in French: plain HTML (escaped), no inline script or style (strict CSP)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from bot.availability import Block, BookingRules, Slot
from bot.bookings import Booking
from bot.clinicians import Clinician, Session
from bot.french_time import french_datetime
from bot.handoff import Ticket

QUEBEC = ZoneInfo("America/Toronto")
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


def _time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, QUEBEC).strftime("%H h %M") if epoch else ""


def _page(title: str, body: str, session: Session | None = None, script: str = "") -> str:
    nav = ""
    if session:
        who = session.clinician
        links = '<li><a href="/">File d\'attente</a></li>' if who.is_clinical else ""
        links += '<li><a href="/horaire">Mon horaire</a></li>' if who.is_clinical or who.is_admin else ""
        links += '<li><a href="/rendez-vous">Rendez-vous passés</a></li>' if who.is_clinical else ""
        links += '<li><a href="/tableau">Tableau de bord</a></li>' if who.is_manager else ""
        links += '<li><a href="/admin/journal">Journal des accès</a></li>' if who.reads_audit else ""
        links += '<li><a href="/admin/comptes">Comptes</a></li>' if who.is_federation else ""
        links += '<li><a href="/compte">Mon compte</a></li>'
        nav = (
            '<nav aria-label="Console"><ul>'
            f"{links}"
            f"<li>{escape(session.clinician.name)} · {escape(session.clinician.role_label)}</li>"
            '<li><form method="post" action="/deconnexion">'
            f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
            '<button type="submit" class="link">Se déconnecter</button></form></li>'
            "</ul></nav>"
        )
    csrf = f'<meta name="csrf" content="{escape(session.csrf)}">' if session else ""
    scripts = f'<script src="/static/{script}" defer></script>' if script else ""
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Console clinique</title>{csrf}"
        '<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/console.css">'
        f'{scripts}</head><body><header><p class="brand">Coop Santé · Console clinique</p>{nav}</header>'
        f'<main id="contenu"><h1>{escape(title)}</h1>{body}</main></body></html>'
    )


page = _page  # for the console's other page modules (console/dashboard.py)


def login(error: str, csrf: str) -> str:
    alert = f'<p class="erreur" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"{alert}"
        '<form method="post" action="/connexion" class="connexion">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        '<label for="courriel">Courriel</label>'
        '<input id="courriel" name="courriel" type="email" autocomplete="username" required>'
        '<label for="mot_de_passe">Mot de passe</label>'
        '<input id="mot_de_passe" name="mot_de_passe" type="password" autocomplete="current-password" required>'
        '<button type="submit">Se connecter</button></form>'
    )
    return _page("Connexion", body)


def account(session: Session, info: str) -> str:
    notice = f'<p class="info" role="status">{escape(info)}</p>' if info else ""
    coops = ", ".join(session.clinician.coops) or "aucune (demandez à l'administration)"
    body = (
        f"{notice}<p>{escape(session.clinician.email)} · {escape(session.clinician.role_label)} · "
        f"coops: {escape(coops)}</p>"
        '<h2 id="t-mdp">Changer mon mot de passe</h2>'
        '<form method="post" action="/compte" class="repondre" aria-labelledby="t-mdp">'
        f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
        '<label for="actuel">Mot de passe actuel</label>'
        '<input id="actuel" name="actuel" type="password" autocomplete="current-password" required>'
        '<label for="nouveau">Nouveau mot de passe (12 caractères au moins)</label>'
        '<input id="nouveau" name="nouveau" type="password" autocomplete="new-password" minlength="12" required>'
        '<label for="confirmation">Nouveau mot de passe, encore</label>'
        '<input id="confirmation" name="confirmation" type="password" autocomplete="new-password" required>'
        '<button type="submit">Changer</button></form>'
        "<p>Vos autres sessions ouvertes seront fermées.</p>"
    )
    return _page("Mon compte", body, session)


def break_glass(session: Session, ticket: Ticket, error: str = "") -> str:
    """A closed ticket held by someone else: open it only with a reason, which is audited."""
    alert = f'<p class="erreur" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f"{alert}<p>Ce dossier est fermé et un autre membre de l'équipe l'a traité. Pour le consulter, "
        "donnez la raison de cet accès d'urgence: elle est inscrite au journal des accès.</p>"
        f'<form method="post" action="/tickets/{escape(ticket.id)}/bris-de-verre" class="repondre">'
        f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
        '<label for="raison">Raison de l\'accès</label>'
        '<textarea id="raison" name="raison" rows="2" minlength="10" maxlength="300" required></textarea>'
        '<button type="submit">Consulter le dossier (accès journalisé)</button></form>'
    )
    return _page(f"Dossier {ticket.id} · accès d'urgence", body, session)


def ticket_row(ticket: Ticket) -> dict[str, Any]:
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
    notice = f'<p class="info" role="status">{escape(info)}</p>' if info else ""
    body = (
        f"{notice}"
        '<p class="en-ligne" id="en-ligne" aria-live="polite"></p>'
        '<button type="button" id="son" class="secondaire" aria-pressed="false">Activer le son des urgences</button>'
        '<h2 id="titre-attente">En attente</h2>'
        '<div id="attente" aria-live="polite" aria-labelledby="titre-attente">'
        f'{_rows(state["attente"], session, True)}</div>'
        '<h2 id="titre-miens">Mes conversations</h2>'
        f'<div id="miens" aria-labelledby="titre-miens">{_rows(state["miens"], session, False)}</div>'
        '<h2 id="titre-rdv">Mes rendez-vous à venir</h2>'
        f'<div aria-labelledby="titre-rdv">{_bookings(bookings, rules)}</div>'
    )
    return _page("File d'attente", body, session, "console.js")


def _bookings(bookings: Sequence[Booking], rules: BookingRules | None) -> str:
    if not bookings or rules is None:
        return '<p class="vide">Aucun rendez-vous.</p>'
    items = []
    for booking in bookings:
        facts = [(label, booking.summary.get(key)) for key, label in BOOKING_SUMMARY]
        if booking.summary.get("langue") == "anglais":
            facts.append(("Langue", "anglais"))
        summary = " · ".join(f"{label}: {value}" for label, value in facts if value)
        items.append(
            f'<li class="ticket"><strong>{escape(french_datetime(booking.start))}</strong> · '
            f"{escape(booking.member_name)} ({escape(booking.member_number)}) · "
            f"{escape(rules.modality_labels.get(booking.modality, booking.modality))}"
            f'<p class="motif">{escape(summary)}</p></li>'
        )
    return '<ul class="tickets">' + "".join(items) + "</ul>"


def schedule(session: Session, blocks: Sequence[Block], coops: Sequence[str], info: str) -> str:
    notice = f'<p class="info" role="status">{escape(info)}</p>' if info else ""
    csrf = f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
    rows = "".join(
        f"<tr><td>{escape(french_datetime(b.start))}</td>"
        f"<td>{escape(b.end.astimezone(QUEBEC).strftime('%H h %M'))}</td>"
        f"<td>{escape(b.clinician_type)}</td><td>{escape(b.coop)}</td><td>{escape(', '.join(b.modalities))}</td>"
        f'<td><form method="post" action="/horaire/retirer">{csrf}'
        f'<input type="hidden" name="bloc" value="{escape(b.id)}">'
        '<button type="submit" class="secondaire">Retirer</button>'
        "</form></td></tr>"
        for b in blocks
    )
    coop_options = "".join(f'<option value="{escape(c)}">{escape(c)}</option>' for c in coops)
    if session.clinician.is_admin:  # a coop admin publishes for a clinician of the coop: their role is the type
        who = (
            '<label for="clinicien">Courriel du clinicien</label>'
            '<input id="clinicien" name="clinicien" type="email" required>'
        )
    else:
        label = TYPE_LABELS.get(session.clinician.role, session.clinician.role)
        who = f"<p>Type: {escape(label)} (selon votre compte)</p>"
    modalities = "".join(
        f'<label><input type="checkbox" name="modalites" value="{m}" checked> {label}</label>'
        for m, label in MODALITY_LABELS.items()
    )
    body = (
        f"{notice}"
        '<table class="journal"><caption>Mes plages des 60 prochains jours</caption><thead><tr>'
        '<th scope="col">Début</th><th scope="col">Fin</th><th scope="col">Type</th><th scope="col">Coop</th>'
        '<th scope="col">Modalités</th><th scope="col">Action</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        '<h2 id="t-ajout">Ajouter une plage</h2>'
        f'<form method="post" action="/horaire" class="repondre" aria-labelledby="t-ajout">{csrf}'
        '<label for="jour">Jour</label><input id="jour" name="jour" type="date" required>'
        '<label for="debut">Début</label><input id="debut" name="debut" type="time" required>'
        '<label for="fin">Fin</label><input id="fin" name="fin" type="time" required>'
        f"{who}"
        f'<label for="coop">Coop</label><select id="coop" name="coop">{coop_options}</select>'
        f"<fieldset><legend>Modalités</legend>{modalities}</fieldset>"
        '<button type="submit">Ajouter</button></form>'
        "<p>Import d'un fichier CSV ou iCalendar: <code>make import-schedule FILE=...</code> (voir le README).</p>"
    )
    return _page("Mon horaire", body, session)


def _rows(rows: Sequence[Mapping[str, Any]], session: Session, claimable: bool) -> str:
    if not rows:
        return '<p class="vide">Aucune demande.</p>'
    items = []
    for row in rows:
        badge = '<strong class="badge urgent">Urgent</strong> ' if row["urgent"] else ""
        flag = '<strong class="badge signal">Message d\'urgence reçu</strong> ' if row["signale"] else ""
        action = (
            f'<form method="post" action="/tickets/{escape(row["id"])}/prendre" class="prendre">'
            f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
            f'<button type="submit">Prendre</button></form>'
            if claimable
            else f'<a href="/tickets/{escape(row["id"])}">Ouvrir</a>'
        )
        items.append(
            f'<li class="ticket{" urgent" if row["urgent"] else ""}" data-id="{escape(row["id"])}">'
            f"{badge}{flag}<span class=\"membre\">{escape(row['membre'])}</span> · {escape(row['disposition'])} · "
            f"{escape(row['canal'])} · depuis {escape(row['cree'])} ({row['attente_min']} min)"
            f'<p class="motif">{escape(row["motif"])}</p>{action}</li>'
        )
    return '<ul class="tickets">' + "".join(items) + "</ul>"


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
    facts = [
        ("Membre", f"{ticket.member_name} ({ticket.member_number})"),
        ("Pour qui", summary.get("pour_qui", "")),
        ("Âge", summary.get("age", "non connu")),
        ("Motif", summary.get("motif", "")),
        ("Depuis quand", summary.get("depuis_quand", "")),
        ("Triage", f"{DISPOSITIONS.get(ticket.disposition, ticket.disposition)} · {', '.join(ticket.reasons)}"),
        ("Canal", f"{CHANNELS.get(ticket.channel, ticket.channel)} · coop {ticket.coop}"),
        (
            "Statut",
            {"attente": "En attente", "pris": f"Pris par {ticket.clinician_name}", "ferme": "Fermé"}.get(
                ticket.status, ticket.status
            ),
        ),
    ]
    flagged = (
        '<p class="alerte" role="alert">Le membre a écrit un message d\'urgence pendant l\'attente: '
        "la ressource d'urgence lui a été envoyée.</p>"
        if ticket.flagged
        else ""
    )
    summary_html = (
        '<dl class="resume">' + "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts) + "</dl>"
    )
    lines = "".join(
        f'<li class="{_who_class(line["qui"])}"><span class="qui">{escape(_who(line["qui"]))}</span> '
        f'<time>{_time(float(line["a"]))}</time><p>{escape(str(line["texte"]))}</p></li>'
        for line in transcript
    )
    last = thread[-1]["id"] if thread else "0-0"
    mine = ticket.status == "pris" and ticket.clinician == session.clinician.email
    actions = ""
    if mine:
        options = "".join(
            f'<option value="{escape(k)}">{escape(v)}</option>' for k, v in outcomes.items() if k != "annule"
        )
        actions = (
            f'<form method="post" action="/tickets/{escape(ticket.id)}/messages" id="repondre" class="repondre">'
            f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
            '<label for="texte">Votre réponse au membre</label>'
            '<textarea id="texte" name="texte" rows="3" maxlength="1500" required></textarea>'
            '<button type="submit">Envoyer</button></form>'
            f'<form method="post" action="/tickets/{escape(ticket.id)}/fermer" class="fermer">'
            f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
            '<label for="issue">Issue</label><select id="issue" name="issue" required>'
            f'<option value="">Choisir…</option>{options}</select>'
            '<button type="submit">Fermer et rendre la main au bot</button></form>'
        )
        if slots and rules:
            choices = "".join(
                f'<option value="{escape(slot.id)}">{escape(french_datetime(slot.start))} · '
                f"{escape(rules.labels[slot.clinician_type])}</option>"
                for slot in slots
            )
            actions += (
                f'<form method="post" action="/tickets/{escape(ticket.id)}/reserver" class="fermer">'
                f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
                '<label for="plage">Réserver une téléconsultation vidéo</label>'
                f'<select id="plage" name="plage">{choices}'
                '</select><button type="submit">Réserver pour ce membre</button></form>'
            )
    elif ticket.status == "attente":
        actions = (
            f'<form method="post" action="/tickets/{escape(ticket.id)}/prendre">'
            f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'
            '<button type="submit">Prendre ce dossier</button></form>'
        )
    body = (
        f'{flagged}<section aria-labelledby="t-resume"><h2 id="t-resume">Résumé</h2>{summary_html}</section>'
        '<section aria-labelledby="t-conv"><h2 id="t-conv">Conversation</h2>'
        f'<ol class="transcription" id="transcription" aria-live="polite" data-ticket="{escape(ticket.id)}" '
        f'data-apres="{escape(last)}">{lines}</ol></section>{actions}'
    )
    return _page(f"Dossier {ticket.id}", body, session, "console.js")


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
    security = filters.get("type") == "securite"
    rows = "".join(
        "<tr>"
        f"<td>{escape(_stamp(e['at']))}</td>"
        f"<td>{escape(e.get('actor', '') or e.get('subjects', '')[:12])}</td>"
        f"<td>{escape('console.' + e['action'] if e.get('action') else e.get('event', ''))}</td>"
        f"<td>{escape(e.get('coop', ''))}</td>"
        f"<td>{escape(e.get('ticket', ''))}</td>"
        f"<td>{escape(e.get('detail', '') or e.get('outcome', ''))}</td>"
        "</tr>"
        for e in entries
    )
    kinds = [("acces", "Accès aux dossiers")]
    if session.clinician.is_federation:
        kinds.append(("securite", "Sécurité (connexions, vérifications d'identité)"))
    kind_options = "".join(
        f'<option value="{k}"{" selected" if filters.get("type") == k else ""}>{escape(label)}</option>'
        for k, label in kinds
    )
    everyone = "Toutes" if session.clinician.is_federation else "Toutes mes coops"
    coop_options = f'<option value="">{everyone}</option>' + "".join(
        f'<option value="{escape(c)}"{" selected" if filters.get("coop") == c else ""}>{escape(c)}</option>'
        for c in coops
    )
    form = (
        '<form method="get" action="/admin/journal" class="filtres">'
        f'<label for="type">Type</label><select id="type" name="type">{kind_options}</select>'
        f'<label for="coop">Coop</label><select id="coop" name="coop">{coop_options}</select>'
        '<label for="acteur">Qui (courriel)</label>'
        f'<input id="acteur" name="acteur" value="{escape(filters.get("acteur", ""))}">'
        '<label for="dossier">Dossier</label>'
        f'<input id="dossier" name="dossier" value="{escape(filters.get("dossier", ""))}">'
        '<button type="submit">Filtrer</button></form>'
    )
    base = {k: v for k, v in filters.items() if v}
    links = []
    if before:
        back = dict(base, **({"avant": newer[-1], "prec": ",".join(newer[:-1])} if newer else {}))
        links.append(f'<a href="/admin/journal?{escape(urlencode(back))}">Plus récents</a>')
    if len(entries) >= page_size:
        older = dict(base, avant=entries[-1]["id"], prec=",".join([*newer, before] if before else newer))
        links.append(f'<a href="/admin/journal?{escape(urlencode(older))}">Plus anciens</a>')
    paging = f'<nav aria-label="Pages du journal"><p>{" · ".join(links)}</p></nav>' if links else ""
    caption = "Journal de sécurité" if security else "Journal des accès"
    body = (
        f"{form}<p>{len(entries)} entrées, de la plus récente à la plus ancienne"
        f"{' (avant l’entrée ' + escape(before) + ')' if before else ''}.</p>"
        f'<table class="journal"><caption>{caption}</caption><thead><tr>'
        '<th scope="col">Date</th><th scope="col">Qui</th><th scope="col">Action</th><th scope="col">Coop</th>'
        '<th scope="col">Dossier</th><th scope="col">Détail</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>{paging}"
    )
    return _page("Journal des accès", body, session)


def _stamp(at: str) -> str:
    """An entry's time (ISO 8601, UTC) in Quebec's time."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return ""
    return moment.astimezone(QUEBEC).strftime("%Y-%m-%d %H h %M")


def accounts(session: Session, everyone: Sequence[Clinician]) -> str:
    rows = "".join(
        f"<tr><td>{escape(c.email)}</td><td>{escape(c.name)}</td><td>{escape(c.role_label)}</td>"
        f"<td>{escape(', '.join(c.coops) or ('toutes' if c.is_federation else 'aucune: ne voit rien'))}</td></tr>"
        for c in everyone
    )
    body = (
        '<table class="journal"><caption>Comptes de la console</caption><thead><tr>'
        '<th scope="col">Courriel</th><th scope="col">Nom</th><th scope="col">Rôle</th><th scope="col">Coops</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
        "<p>Créer un compte, changer ses coops ou son mot de passe: "
        "<code>python -m tools.console_user</code> (voir le README).</p>"
    )
    return _page("Comptes", body, session)
