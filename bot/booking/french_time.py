"""When a member wants an appointment, and dates written the way Quebec members read them.

Members answer "c'est quand pour vous?" by SMS in informal Quebec French: "demain pm",
"mardi prochain vers 2h", "3 dec", "n'importe quand". `parse_window` turns such a message
into one period of time; `french_datetime` and `french_date` write dates back in French.

Everything is in Quebec time. Days are built from calendar dates ("midnight of that date in
Quebec") rather than by adding 24 hours, so a day that crosses a daylight-saving change keeps its
real length (23 or 25 hours) and 9 h stays 9 h on the wall clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.platform.text import strip_accents

QUEBEC = ZoneInfo("America/Toronto")  # the coops' time zone (Eastern), declared here only

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

ASAP_DAYS = 14  # "n'importe quand" and "au plus vite" look this far ahead
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

# A time of day is an offset from local midnight; "vers 15h" is this much before and after 15 h.
Span = tuple[timedelta, timedelta]
AROUND_BEFORE, AROUND_AFTER = timedelta(minutes=30), timedelta(minutes=60)
WHOLE_DAY: Span = (timedelta(0), DAY)
MORNING: Span = (8 * HOUR, 12 * HOUR)
AFTERNOON: Span = (12 * HOUR, 17 * HOUR)
EVENING: Span = (17 * HOUR, 21 * HOUR)

# Every regex runs on `_normalise` output: lowercase, no accents, words separated by one space.
_MONTH = (
    r"(janv?(?:ier)?|fevr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|aout"
    r"|sept?(?:embre)?|oct(?:obre)?|nov(?:embre)?|dec(?:embre)?)"
)
_MONTH_KEYS = {"jan": 1, "fev": 2, "mar": 3, "avr": 4, "mai": 5, "juin": 6}
_MONTH_KEYS |= {"juil": 7, "aou": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
_DATE_IN_WORDS = re.compile(rf"\b(premier|\d{{1,2}})(?:er|e)?\s*{_MONTH}\b(?:\s+(\d{{4}})\b)?")
_DATE_IN_DIGITS = re.compile(r"(?<![\d/:])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/:])")
# "14h", "14 h 30", "14:30", "2pm", "2h pm", "midi" (but not the "midi" of "apres-midi").
_CLOCK = (
    r"(?<![\d/])(?:\d{1,2}\s*(?:heures?|h|:)\s*(?:[0-5]\d)?(?:\s*[ap]m)?|\d{1,2}\s*[ap]m"
    r"|(?<!apres )(?<!apre )midi)\b"
)
_CLOCK_PARTS = re.compile(r"(\d{1,2})\s*(?:heures?|h|:)?\s*(\d\d)?\s*([ap]m)?")
_CLOCK_DASH = re.compile(r"(?<![\d/])(\d{1,2}\s*h(?:\d\d)?)\s*-\s*(?=\d)")  # "13h-15h": between the two
_DURATION = re.compile(rf"\b(?:depuis|pendant|durant|fait|y a)\s+{_CLOCK}")  # "mal depuis 3h" is no time
_BETWEEN = re.compile(rf"\b(?:entre|de)\s+({_CLOCK}|\d{{1,2}})\s*(?:et|a|au)\s+({_CLOCK})")
_AFTER = re.compile(rf"\b(?:apres|a partir de|des|passe)\s+({_CLOCK})")
_BEFORE = re.compile(rf"\b(?:avant|jusqu a|au plus tard)\s+(?:a\s+)?({_CLOCK})")
_AT = re.compile(_CLOCK)
_PARTS: tuple[tuple[re.Pattern[str], Span], ...] = (
    (re.compile(r"\b(?:matin(?:ee)?|am)\b"), MORNING),
    (re.compile(r"\b(?:apres? ?midi|aprem|apm|pm)\b"), AFTERNOON),
    (re.compile(r"\bsoir(?:ee)?\b"), EVENING),
)
_LATE_HINT = re.compile(r"\b(?:apres? ?midi|aprem|apm|pm|soir(?:ee)?)\b")  # "2h" then means 14 h
_TODAY = re.compile(
    r"\b(?:aujourd ?hui|aujourdui|auj|ajd|ce(?:t|tte)? (?:matin(?:ee)?|am|apres? ?midi|aprem|apm|pm|soir(?:ee)?))\b"
)
_AFTER_TOMORROW = re.compile(r"\bapres ?demain\b")
_TOMORROW = re.compile(r"\bd(?:e)?main\b")
_WEEKDAY = re.compile(r"\b(lun(?:di)?|mar(?:di)?|mer(?:credi)?|jeu(?:di)?|ven(?:dredi)?|sam(?:edi)?|dim(?:anche)?)\b")
_NEXT_WEEK = re.compile(r"\b(?:semaine prochaine|prochaine semaine)\b")
_WEEKEND = re.compile(r"\b(prochaine? )?(?:fin de semaine|fds|week ?end|wk ?end)\b( prochaine?)?")
_THIS_WEEK = re.compile(r"\bcette semaine\b")
_THIS_MONTH = re.compile(r"\bce mois(?: ci)?\b")
_ASAP = re.compile(
    r"\b(?:n ?importe quand|n ?importe quel|peu importe|quand vous voulez|quand tu veux|plus tot possible"
    r"|au plus vite|le plus vite|des que possible|asap)\b"
)


@dataclass(frozen=True)
class Window:
    """A period in Quebec time: `start` included, `end` excluded."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Window needs aware datetimes")
        if self.end.timestamp() <= self.start.timestamp():
            raise ValueError("Window must end after it starts")

    def contains(self, moment: datetime) -> bool:
        # Timestamps, not datetime comparison: same-zone comparison ignores the repeated fall-back hour.
        return self.start.timestamp() <= moment.timestamp() < self.end.timestamp()


def french_date(day: date) -> str:
    """'mardi 1er décembre': French writes the first of a month as an ordinal."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{WEEKDAYS[day.weekday()]} {number} {MONTHS[day.month - 1]}"


def french_datetime(moment: datetime) -> str:
    """'mardi 1er décembre à 14 h 30', or '… à 9 h' on the hour, always in Quebec time."""
    if moment.tzinfo is None:
        raise ValueError("french_datetime needs an aware datetime")
    local = moment.astimezone(QUEBEC)
    minutes = f" {local.minute:02d}" if local.minute else ""
    return f"{french_date(local.date())} à {local.hour} h{minutes}"


_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")  # fmt: skip


def english_datetime(moment: datetime) -> str:
    """'Tuesday, December 1 at 2:30 p.m.', always in Quebec time."""
    if moment.tzinfo is None:
        raise ValueError("english_datetime needs an aware datetime")
    local = moment.astimezone(QUEBEC)
    hour = local.hour % 12 or 12
    suffix = "a.m." if local.hour < 12 else "p.m."
    clock = f"{hour}:{local.minute:02d}" if local.minute else f"{hour}"
    return f"{_EN_WEEKDAYS[local.weekday()]}, {_EN_MONTHS[local.month - 1]} {local.day} at {clock} {suffix}"


def spoken_datetime(moment: datetime, language: str) -> str:
    """A moment in the member's language."""
    return english_datetime(moment) if language == "en" else french_datetime(moment)


# English time words, turned into the French ones parse_window reads: a member who writes in English
# books in English ("tomorrow morning", "Tuesday after 2pm", "next week").
_ENGLISH_TIME = (
    (r"\bday after tomorrow\b", "apres demain"), (r"\btomorrow\b", "demain"), (r"\btoday\b", "aujourd hui"),
    (r"\btonight\b", "ce soir"), (r"\bthis morning\b", "ce matin"), (r"\bthis afternoon\b", "cet apres-midi"),
    (r"\bthis evening\b", "ce soir"), (r"\bmorning\b", "matin"), (r"\bafternoon\b", "apres-midi"),
    (r"\bevening\b", "soir"), (r"\bnext week\b", "la semaine prochaine"), (r"\bthis week\b", "cette semaine"),
    (r"\bweekend\b", "fin de semaine"), (r"\bthis month\b", "ce mois"), (r"\bafter\b", "apres"),
    (r"\bbefore\b", "avant"), (r"\bbetween\b", "entre"), (r"\band\b", "et"), (r"\bat\b", "a"),
    (r"\bany ?time\b", "n importe quand"), (r"\bas soon as possible\b|\basap\b|\bsoonest\b", "au plus vite"),
    (r"\bnoon\b", "midi"), (r"\bmonday\b", "lundi"), (r"\btuesday\b", "mardi"), (r"\bwednesday\b", "mercredi"),
    (r"\bthursday\b", "jeudi"), (r"\bfriday\b", "vendredi"), (r"\bsaturday\b", "samedi"),
    (r"\bsunday\b", "dimanche"), (r"\bjanuary\b", "janvier"), (r"\bfebruary\b", "fevrier"),
    (r"\bmarch\b", "mars"), (r"\bapril\b", "avril"), (r"\bmay\b", "mai"), (r"\bjune\b", "juin"),
    (r"\bjuly\b", "juillet"), (r"\baugust\b", "aout"), (r"\bseptember\b", "septembre"),
    (r"\boctober\b", "octobre"), (r"\bnovember\b", "novembre"), (r"\bdecember\b", "decembre"),
    (r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1"),
    (r"\b(janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|decembre) (\d{1,2})\b",
     r"\2 \1"), (r"\b(\d{1,2})\s*(am)\b", r"\1 h"),
    (r"\b(\d{1,2}):(\d\d)\s*pm\b", r"\1 h \2 pm"), (r"\b(\d{1,2})\s*pm\b", r"\1 h pm"),
)  # fmt: skip


def from_english(text: str) -> str:
    out = text.lower()
    for pattern, french in _ENGLISH_TIME:
        out = re.sub(pattern, french, out)
    return out


def parse_window(text: str, now: datetime) -> Window | None:
    """The period a member means, or None when the text names no time at all.

    A named day (date, "demain", weekday) is narrowed by a day part or clock time; without a day,
    a clock time or day part means today if some of it is still ahead, else tomorrow. Periods
    ("cette semaine", "fin de semaine", "n'importe quand") stand alone. Never starts before `now`.
    """
    if now.tzinfo is None:
        raise ValueError("parse_window needs an aware `now`")
    now = now.astimezone(QUEBEC)
    today = now.date()
    words = _normalise(text)
    day, words = _explicit_date(words, today)
    span = _time_span(words)
    weekly = False
    if day is None:
        day, weekly = _named_day(words, today)
    if day is None:
        period = _period(words, now)
        if period is not None:
            return _clip(*period, now, weekly=bool(_WEEKEND.search(words)))
        if span is None:
            return None
        day = today if _at(today, span[1]) > now else today + DAY
    low, high = span or WHOLE_DAY
    return _clip(_at(day, low), _at(day, high), now, weekly)


def _normalise(text: str) -> str:
    """Lowercase, no accents; apostrophes, hyphens and punctuation become spaces ("apres-midi")."""
    text = _CLOCK_DASH.sub(r" entre \1 et ", strip_accents(text.lower()))
    text = re.sub(r"(?<=\d)-(?=\d)", "/", text)  # "3-12" is a date like "3/12"
    return " ".join(re.sub(r"[^a-z0-9/:]+", " ", text).split())


def _at(day: date, offset: timedelta) -> datetime:
    """Local midnight of `day` plus a wall-clock offset; 24 h gives the next midnight, DST or not."""
    return datetime.combine(day, time(), QUEBEC) + offset


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _explicit_date(words: str, today: date) -> tuple[date | None, str]:
    """'le 3 decembre', '1er dec 2027', '3/12': the date, and the text without it (so '12' is no minute)."""
    for pattern in (_DATE_IN_WORDS, _DATE_IN_DIGITS):
        for match in pattern.finditer(words):
            day_text, month_text, year_text = match.groups()
            number = 1 if day_text == "premier" else int(day_text)
            month = int(month_text) if month_text.isdigit() else _MONTH_KEYS.get(month_text[:4], 0)
            month = month or _MONTH_KEYS[month_text[:3]]
            year = int(year_text) if year_text else today.year
            year += 2000 if year < 100 else 0
            try:
                found = date(year, month, number)
                if not year_text and found < today:  # "le 3 mars" said in November: next March
                    found = date(year + 1, month, number)
            except ValueError:  # 31/2, 13/13: not a date, maybe something else
                continue
            return found, words[: match.start()] + " " + words[match.end() :]
    return None, words


def _clock(raw: str, late: bool) -> timedelta | None:
    """'14h30' -> 14:30; '2h' -> 14:00 only with 'pm' or when the text speaks of afternoon/evening."""
    raw = raw.strip()
    if raw == "midi":
        return 12 * HOUR
    match = _CLOCK_PARTS.fullmatch(raw)
    if match is None:
        return None
    hour, minute, suffix = int(match[1]), int(match[2] or 0), match[3]
    if 0 < hour < 12 and (suffix == "pm" or (suffix is None and late)):
        hour += 12
    elif suffix == "am" and hour == 12:
        hour = 0
    return timedelta(hours=hour, minutes=minute) if hour < 24 and minute < 60 else None


def _time_span(words: str) -> Span | None:
    """Hours within a day from a day part and/or a clock constraint; the clock wins when they disagree."""
    words = _DURATION.sub(" ", words)
    without_clocks = _AT.sub(" ", words)
    part = next((span for pattern, span in _PARTS if pattern.search(without_clocks)), None)
    late = bool(_LATE_HINT.search(without_clocks))
    low: timedelta | None = None
    high: timedelta | None = None
    if between := _BETWEEN.search(words):
        low, high = _clock(between[1], late), _clock(between[2], late)
    else:
        after, before = _AFTER.search(words), _BEFORE.search(words)
        low = _clock(after[1], late) if after else None
        high = _clock(before[1], late) if before else None
        if not (after or before) and (at := _AT.search(words)) and (moment := _clock(at[0], late)) is not None:
            low, high = max(moment - AROUND_BEFORE, timedelta(0)), moment + AROUND_AFTER
    if low is None and high is None:
        return part
    for base in (part or WHOLE_DAY, WHOLE_DAY):  # "le matin apres 14h": drop the contradicting part
        span = (base[0] if low is None else low, base[1] if high is None else high)
        if span[0] < span[1]:
            return span
    return part


def _named_day(words: str, today: date) -> tuple[date | None, bool]:
    """A day named relative to today; True when it is a weekday (so a past one moves a week later)."""
    if _TODAY.search(words):
        return today, False
    if _AFTER_TOMORROW.search(words):
        return today + 2 * DAY, False
    if _TOMORROW.search(words):
        return today + DAY, False
    if weekday := _WEEKDAY.search(words):
        target = [name[:3] for name in WEEKDAYS].index(weekday[1][:3])
        if _NEXT_WEEK.search(words) and not _WEEKEND.search(words):  # "mardi de la semaine prochaine"
            return _monday(today) + timedelta(days=7 + target), True
        # "mardi" and "mardi prochain" both mean the next Tuesday after today.
        return today + timedelta(days=(target - today.weekday()) % 7 or 7), True
    return None, False


def _period(words: str, now: datetime) -> tuple[datetime, datetime] | None:
    """Periods longer than a day: weekend, this or next week, this month, or 'whenever'."""
    monday = _monday(now.date())
    if weekend := _WEEKEND.search(words):
        saturday = monday + timedelta(days=5)
        if (weekend[1] or weekend[2]) and now.date() >= saturday:  # "prochaine": the one after today
            saturday += timedelta(days=7)
        return _at(saturday, timedelta(0)), _at(saturday, 2 * DAY)
    if _THIS_WEEK.search(words):
        return now, _at(monday, 7 * DAY)
    if _NEXT_WEEK.search(words):
        return _at(monday, 7 * DAY), _at(monday, 14 * DAY)
    if _THIS_MONTH.search(words):
        first = now.date().replace(day=1)
        return now, _at((first + 32 * DAY).replace(day=1), timedelta(0))
    if _ASAP.search(words):
        return now, now + ASAP_DAYS * DAY
    return None


def _clip(start: datetime, end: datetime, now: datetime, weekly: bool) -> Window | None:
    """No window starts in the past; a weekday already over moves a week later, anything else is None."""
    if end.timestamp() <= now.timestamp():
        if not weekly:
            return None
        start, end = start + 7 * DAY, end + 7 * DAY  # wall-clock arithmetic: same hours a week later
    if start.timestamp() < now.timestamp():
        start = now
    return Window(start, end)
