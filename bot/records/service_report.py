"""How the service did, for a coop manager: aggregates of one week or one month, from the records.

Every figure is an aggregate read from PostgreSQL: the service record (`service_events`,
bot/records/service_records.py), the handoff tickets, the bookings and the published availability. No row
names a member. Small numbers are suppressed: a count from 1 to 4 reads "< 5", and a median, a
percentile or a share computed over fewer than 5 reads "n < 5", so that nobody can be singled out
by crossing tables. A question the bot did not understand is shown only when members who
consented to improvement use asked it at least 5 times in the period.

The page and the CSV export are both made from the same `Table` cells (`Report.csv`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.engine import Connection, Engine

from bot.booking.french_time import QUEBEC as QUEBEC  # re-exported: the zone is declared in bot/booking/french_time.py
from bot.triage.dispositions import Disposition

SMALL = 5  # counts under this are suppressed
SUPPRESSED = "< 5"
TOO_FEW = "n < 5"
PERIODS = {"semaine": "Semaine", "mois": "Mois"}
CHANNEL_LABELS = {"sms": "Texto (SMS)", "web": "Clavardage (web)", "voice": "Téléphone"}
DISPOSITION_LABELS = {
    "911": "911",
    "crise": "Crise",
    "urgence": "Urgence",
    "clinicien": "Clinicien",
    "consultation": "Consultation",
    "info": "Information",
}
LEVEL = {d.value: d.rank + 1 for d in Disposition}  # 911 6 ... info 1, most urgent first
MONTHS = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split()
TOP_TOPICS = 15
TOP_QUESTIONS = 20


def count(n: int) -> str:
    """A count as shown: suppressed from 1 to 4."""
    return SUPPRESSED if 0 < n < SMALL else str(n)


def share(part: int, whole: int) -> str:
    """A percentage, shown only over at least 5."""
    if whole < SMALL:
        return TOO_FEW
    return f"{round(100 * part / whole)} %"


def minutes(seconds: float | None, over: int) -> str:
    """A duration in minutes with one decimal (French comma), shown only over at least 5."""
    if seconds is None or over < SMALL:
        return TOO_FEW
    return f"{seconds / 60:.1f}".replace(".", ",") + " min"


def number(cell: str) -> float | None:
    """The number a cell shows (for a chart); None when suppressed or not a number."""
    head = cell.replace(" %", "").replace(" min", "").replace(",", ".").strip()
    try:
        return float(head)
    except ValueError:
        return None


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    label: str  # the header of the first column
    columns: tuple[str, ...]
    rows: Sequence[tuple[str, tuple[str, ...]]]
    chart: int | None = None  # which value column the page draws as bars
    note: str = ""


@dataclass(frozen=True)
class Period:
    kind: str  # semaine, mois
    start: date

    @property
    def end(self) -> date:
        if self.kind == "mois":
            return (self.start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return self.start + timedelta(days=7)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time(), QUEBEC), datetime.combine(self.end, time(), QUEBEC))

    def previous(self) -> Period:
        if self.kind == "mois":
            return Period("mois", (self.start - timedelta(days=1)).replace(day=1))
        return Period("semaine", self.start - timedelta(days=7))

    def next(self) -> Period:
        return Period(self.kind, self.end)

    @property
    def label(self) -> str:
        if self.kind == "mois":
            return f"{MONTHS[self.start.month - 1]} {self.start.year}"
        last = self.end - timedelta(days=1)
        return f"semaine du {self.start.isoformat()} au {last.isoformat()}"


def period_of(kind: str, day: date) -> Period:
    """The week (Monday to Sunday) or the month holding `day`."""
    if kind == "mois":
        return Period("mois", day.replace(day=1))
    return Period("semaine", day - timedelta(days=day.weekday()))


def last_complete_week(today: date) -> Period:
    return period_of("semaine", today).previous()


@dataclass(frozen=True)
class Report:
    period: Period
    coops: tuple[str, ...]
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    def csv(self) -> str:
        """The same cells as the page: one line per cell (table, row, column, value)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["periode", "debut", "fin", "coops"])
        end = self.period.end - timedelta(days=1)
        writer.writerow([self.period.kind, self.period.start.isoformat(), end.isoformat(), " ".join(self.coops)])
        writer.writerow([])
        writer.writerow(["tableau", "ligne", "colonne", "valeur"])
        for table in self.tables:
            for label, cells in table.rows:
                for column, cell in zip(table.columns, cells, strict=True):
                    writer.writerow([table.title, label, column, cell])
        return out.getvalue()


def report(
    engine: Engine,
    coops: Sequence[str],
    period: Period,
    target_seconds: float,
    topic_label: Callable[[str], str] = str,
) -> Report:
    """Every table of the dashboard for these coops over this period."""
    start, end = period.bounds
    where = {"coops": list(coops), "start": start, "end": end}
    with engine.connect() as connection:
        tables = [
            _channels(connection, where),
            _dispositions(connection, where),
            _handoffs(connection, where, target_seconds),
            _handoff_hours(connection, where),
            _bookings(connection, where),
            _understanding(connection, where),
            _topics(connection, where, topic_label),
            _questions(connection, where),
        ]
    return Report(period, tuple(coops), tables)


_EVENTS = "FROM service_events WHERE coop = ANY(:coops) AND hour >= :start AND hour < :end"


def _channels(connection: Connection, where: Mapping[str, Any]) -> Table:
    query = (
        "SELECT {group} count(DISTINCT conversation_key) AS conversations,"
        " count(DISTINCT nullif(member_key, '')) AS members, count(*) AS turns " + _EVENTS + " {by}"
    )
    by_channel = connection.execute(sql(query.format(group="channel,", by="GROUP BY channel")), where).all()
    total = connection.execute(sql(query.format(group="", by="")), where).one()
    found = {row.channel: row for row in by_channel}
    order = [*CHANNEL_LABELS, *sorted(c for c in found if c not in CHANNEL_LABELS)]
    rows = []
    for channel in order:
        row = found.get(channel)
        cells = (count(row.conversations), count(row.members), count(row.turns)) if row else ("0", "0", "0")
        rows.append((CHANNEL_LABELS.get(channel, channel), cells))
    rows.append(("Total", (count(total.conversations), count(total.members), count(total.turns))))
    return Table(
        "canaux",
        "Conversations et membres servis, par canal",
        "Canal",
        ("Conversations", "Membres identifiés", "Messages"),
        rows,
        chart=0,
        note="Un membre qui écrit par deux canaux compte dans chacun; le total le compte une fois.",
    )


def _dispositions(connection: Connection, where: Mapping[str, Any]) -> Table:
    levels = " ".join(f"WHEN '{d}' THEN {n}" for d, n in LEVEL.items())
    rows_found = connection.execute(
        sql(
            "WITH c AS (SELECT conversation_key, max(CASE disposition " + levels + " END) AS level,"
            " bool_or(handed = 'relais') AS relais, bool_or(handed = 'ressources') AS ressources,"
            " bool_or(handed = 'reponse') AS reponse, bool_or(fallback) AS incompris "
            + _EVENTS
            + " GROUP BY conversation_key)"
            " SELECT level, count(*) AS total, count(*) FILTER (WHERE relais) AS relais,"
            " count(*) FILTER (WHERE ressources) AS ressources, count(*) FILTER (WHERE reponse) AS reponse,"
            " count(*) FILTER (WHERE incompris) AS incompris FROM c GROUP BY level"
        ),
        where,
    ).all()
    by_level = {row.level: row for row in rows_found}
    rows = []
    for disposition, level in LEVEL.items():
        row = by_level.get(level)
        values = (row.total, row.relais, row.ressources, row.reponse, row.incompris) if row else (0, 0, 0, 0, 0)
        rows.append((DISPOSITION_LABELS[disposition], tuple(count(v) for v in values)))
    return Table(
        "dispositions",
        "Niveaux de triage et suite donnée",
        "Niveau (le plus élevé de la conversation)",
        ("Conversations", "Confiées à un clinicien", "Ressources d'urgence données", "Réponse du bot", "Non compris"),
        rows,
        chart=0,
        note="Une conversation peut avoir plusieurs suites (une réponse, puis un clinicien).",
    )


_TICKETS = "FROM handoff_tickets WHERE coop = ANY(:coops) AND created_at >= :start AND created_at < :end"
_WAIT = "extract(epoch FROM claimed_at - created_at)"


def _handoffs(connection: Connection, where: Mapping[str, Any], target_seconds: float) -> Table:
    row = connection.execute(
        sql(
            "SELECT count(*) AS tickets, count(claimed_at) AS claimed,"
            f" percentile_cont(0.5) WITHIN GROUP (ORDER BY {_WAIT}) AS median,"
            f" percentile_cont(0.9) WITHIN GROUP (ORDER BY {_WAIT}) AS p90,"
            f" count(*) FILTER (WHERE {_WAIT} <= :target) AS within,"
            " count(*) FILTER (WHERE wait_notice_sent) AS notices,"
            " count(*) FILTER (WHERE outcome = 'annule') AS cancelled " + _TICKETS
        ),
        {**where, "target": target_seconds},
    ).one()
    target = f"{target_seconds / 60:g}".replace(".", ",")
    rows = [
        ("Demandes de clinicien", (count(row.tickets),)),
        ("Prises en charge", (count(row.claimed),)),
        ("Attente avant prise en charge, médiane", (minutes(row.median, row.claimed),)),
        ("Attente avant prise en charge, 90e centile", (minutes(row.p90, row.claimed),)),
        (f"Prises en charge dans la cible ({target} min)", (share(row.within, row.tickets),)),
        ("Avis de non-réponse envoyés au membre", (count(row.notices),)),
        ("Annulées par le membre", (count(row.cancelled),)),
    ]
    return Table("relais", "Relais vers un clinicien", "Indicateur", ("Valeur",), rows)


def _handoff_hours(connection: Connection, where: Mapping[str, Any]) -> Table:
    found = connection.execute(
        sql(
            "SELECT extract(hour FROM created_at AT TIME ZONE :zone)::int AS hour, count(*) AS tickets,"
            f" count(claimed_at) AS claimed, percentile_cont(0.5) WITHIN GROUP (ORDER BY {_WAIT}) AS median,"
            " count(*) FILTER (WHERE wait_notice_sent) AS notices " + _TICKETS + " GROUP BY 1"
        ),
        {**where, "zone": QUEBEC.key},
    ).all()
    by_hour = {row.hour: row for row in found}
    rows = []
    for hour in range(24):
        row = by_hour.get(hour)
        cells = (
            (count(row.tickets), minutes(row.median, row.claimed), count(row.notices)) if row else ("0", TOO_FEW, "0")
        )
        rows.append((f"{hour:02d} h", cells))
    return Table(
        "relais_heures",
        "Relais par heure de la journée",
        "Heure",
        ("Demandes", "Attente médiane", "Avis de non-réponse"),
        rows,
        chart=0,
    )


def _bookings(connection: Connection, where: Mapping[str, Any]) -> Table:
    made = connection.execute(
        sql(
            "SELECT count(*) AS made, count(*) FILTER (WHERE booked_by = 'membre') AS by_member"
            " FROM bookings WHERE coop = ANY(:coops) AND created_at >= :start AND created_at < :end"
        ),
        where,
    ).one()
    held = connection.execute(
        sql(
            "SELECT count(*) AS scheduled,"
            " count(*) FILTER (WHERE status = 'annule' AND moved_to IS NULL) AS cancelled,"
            " count(*) FILTER (WHERE moved_to IS NOT NULL) AS moved,"
            " count(*) FILTER (WHERE no_show_at IS NOT NULL) AS no_shows,"
            " coalesce(sum(minutes) FILTER (WHERE status = 'confirme'), 0) AS booked_minutes"
            " FROM bookings WHERE coop = ANY(:coops) AND starts_at >= :start AND starts_at < :end"
        ),
        where,
    ).one()
    published = connection.execute(
        sql(
            "SELECT coalesce(sum(extract(epoch FROM ends_at - starts_at)) / 60, 0) AS minutes"
            " FROM availability_blocks WHERE coop = ANY(:coops) AND starts_at >= :start AND starts_at < :end"
        ),
        where,
    ).one()
    kept = held.scheduled - held.cancelled - held.moved
    published_minutes = int(published.minutes)
    fill = (
        TOO_FEW if published_minutes < SMALL * 15 else f"{round(100 * int(held.booked_minutes) / published_minutes)} %"
    )
    rows = [
        ("Rendez-vous pris dans la période", (count(made.made),)),
        ("… par le membre avec l'assistant", (count(made.by_member),)),
        ("… par un clinicien dans la console", (count(made.made - made.by_member),)),
        ("Rendez-vous prévus dans la période", (count(held.scheduled),)),
        ("Annulés", (count(held.cancelled),)),
        ("Déplacés", (count(held.moved),)),
        ("Absences notées par les cliniciens", (count(held.no_shows),)),
        ("Taux d'absence", (share(held.no_shows, kept),)),
        ("Taux de remplissage des disponibilités publiées", (fill,)),
    ]
    return Table(
        "rendez_vous",
        "Rendez-vous",
        "Indicateur",
        ("Valeur",),
        rows,
        note="Remplissage: minutes réservées (non annulées) sur les minutes publiées à l'horaire pour la période.",
    )


def _understanding(connection: Connection, where: Mapping[str, Any]) -> Table:
    row = connection.execute(
        sql(
            "SELECT count(*) FILTER (WHERE topic <> '') AS answered, count(*) FILTER (WHERE fallback) AS fallbacks,"
            " count(*) FILTER (WHERE fallback AND question IS NULL) AS untold " + _EVENTS
        ),
        where,
    ).one()
    asked = row.answered + row.fallbacks
    rows = [
        ("Questions traitées par le bot", (count(asked),)),
        ("Répondues par le bot", (count(row.answered),)),
        ("Non comprises", (count(row.fallbacks),)),
        ("Taux de non-compréhension", (share(row.fallbacks, asked),)),
        ("Non comprises, texte non conservé (sans consentement)", (count(row.untold),)),
    ]
    return Table("comprehension", "Réponses du bot", "Indicateur", ("Valeur",), rows)


def _topics(connection: Connection, where: Mapping[str, Any], topic_label: Callable[[str], str]) -> Table:
    found = connection.execute(
        sql(
            "SELECT topic, count(*) AS n "
            + _EVENTS
            + " AND topic <> '' GROUP BY topic ORDER BY n DESC, topic LIMIT "
            + str(TOP_TOPICS)
        ),
        where,
    ).all()
    rows = [(topic_label(row.topic), (count(row.n),)) for row in found]
    return Table(
        "sujets",
        "Réponses du bot par sujet",
        "Sujet",
        ("Réponses",),
        rows,
        chart=0,
        note=f"Les {TOP_TOPICS} sujets les plus demandés.",
    )


def _questions(connection: Connection, where: Mapping[str, Any]) -> Table:
    found = connection.execute(
        sql(
            "SELECT question, count(*) AS n "
            + _EVENTS
            + " AND question IS NOT NULL GROUP BY question HAVING count(*) >= :small ORDER BY n DESC, question"
            " LIMIT " + str(TOP_QUESTIONS)
        ),
        {**where, "small": SMALL},
    ).all()
    rows = [(row.question, (count(row.n),)) for row in found]
    return Table(
        "questions",
        "Questions non comprises (membres ayant consenti à l'amélioration du service)",
        "Question (chiffres et données personnelles masqués)",
        ("Fois",),
        rows,
        note="Une question n'apparaît que si elle revient au moins 5 fois dans la période; les autres sont comptées"
        " seulement, plus haut.",
    )
