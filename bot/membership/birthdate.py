"""Dates of birth as people type them: "12 mars 1956", "1956-03-12", "12/03/56", "12 03 1956".

Day-first is the Quebec habit, but "03/12/1956" may be month-first from an English keyboard, so a
numeric date whose day and month could swap gives both readings; the caller checks each.
"""

from __future__ import annotations

import re
from datetime import date

from bot.platform.text import strip_accents

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "january": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2, "february": 2,
    "mars": 3, "mar": 3, "march": 3,
    "avril": 4, "avr": 4, "apr": 4, "april": 4,
    "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6,
    "juillet": 7, "juil": 7, "july": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "sept": 9, "sep": 9, "september": 9,
    "octobre": 10, "oct": 10, "october": 10,
    "novembre": 11, "nov": 11, "november": 11,
    "decembre": 12, "dec": 12, "december": 12,
}  # fmt: skip


def _year(text: str, today: date) -> int:
    year = int(text)
    if len(text) == 2:  # "56" is 1956, "05" is 2005 (nobody is born in the future)
        year += 2000 if year <= today.year % 100 else 1900
    return year


def _valid(year: int, month: int, day: int, today: date) -> date | None:
    try:
        value = date(year, month, day)
    except ValueError:
        return None
    return value if date(1900, 1, 1) <= value <= today else None


def parse_birth_date(text: str, today: date | None = None) -> list[date]:
    """Every plausible reading of a typed date of birth (empty when it is not a date)."""
    today = today or date.today()
    cleaned = strip_accents(text.lower())
    cleaned = re.sub(r"\b(le|ne|nee|born|on|the)\b|1er", lambda m: "1" if m.group(0) == "1er" else " ", cleaned)
    words = re.findall(r"\d+|[a-z]+", cleaned)
    numbers = [w for w in words if w.isdigit()]
    month_names = [MONTHS[w] for w in words if w in MONTHS]

    readings: list[date | None] = []
    if month_names and len(numbers) == 2:
        day, year = numbers if len(numbers[1]) != 1 and int(numbers[0]) <= 31 else numbers[::-1]
        readings.append(_valid(_year(year, today), month_names[0], int(day), today))
    elif not month_names and len(numbers) == 3:
        a, b, c = numbers
        if len(a) == 4:  # 1956-03-12
            readings.append(_valid(int(a), int(b), int(c), today))
        else:  # 12/03/1956, day first, or month first when it can be
            year = _year(c, today)
            readings.append(_valid(year, int(b), int(a), today))
            readings.append(_valid(year, int(a), int(b), today))
    elif not month_names and len(numbers) == 1 and len(numbers[0]) == 8:  # 12031956 or 19560312
        digits = numbers[0]
        readings.append(_valid(int(digits[:4]), int(digits[4:6]), int(digits[6:]), today))
        readings.append(_valid(int(digits[4:]), int(digits[2:4]), int(digits[:2]), today))
    found: list[date] = []
    for reading in readings:
        if reading is not None and reading not in found:
            found.append(reading)
    return found
