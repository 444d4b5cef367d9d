"""Dates for booking: what members mean by "demain pm" or "mardi prochain", and dates written in French.

`now` is fixed (Monday 2026-11-23 at 10:15, Quebec time) so every case is deterministic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.booking.french_time import QUEBEC, Window, _clip, french_date, french_datetime, parse_window

NOW = datetime(2026, 11, 23, 10, 15, tzinfo=QUEBEC)  # a Monday


def at(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=QUEBEC)


def window(text: str, now: datetime = NOW) -> tuple[datetime, datetime] | None:
    found = parse_window(text, now)
    return None if found is None else (found.start, found.end)


def real_hours(found: Window) -> float:
    return (found.end.timestamp() - found.start.timestamp()) / 3600


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # Day parts with a named day.
        ("demain matin", at(11, 24, 8), at(11, 24, 12)),
        ("demain après-midi", at(11, 24, 12), at(11, 24, 17)),
        ("demain apres-midi", at(11, 24, 12), at(11, 24, 17)),
        ("demain apres midi", at(11, 24, 12), at(11, 24, 17)),
        ("Demain Après Midi!!", at(11, 24, 12), at(11, 24, 17)),
        ("demain pm", at(11, 24, 12), at(11, 24, 17)),
        ("demain am", at(11, 24, 8), at(11, 24, 12)),
        ("demain en aprem", at(11, 24, 12), at(11, 24, 17)),
        ("demain soir", at(11, 24, 17), at(11, 24, 21)),
        ("demain en soirée", at(11, 24, 17), at(11, 24, 21)),
        ("  DEMAIN   MATIN ", at(11, 24, 8), at(11, 24, 12)),
        ("demain", at(11, 24), at(11, 25)),
        ("après-demain", at(11, 25), at(11, 26)),
        ("apres demain matin", at(11, 25, 8), at(11, 25, 12)),
        # Today: never before now.
        ("aujourd'hui", NOW, at(11, 24)),
        ("aujourd’hui", NOW, at(11, 24)),
        ("aujourdhui", NOW, at(11, 24)),
        ("auj", NOW, at(11, 24)),
        ("ce matin", NOW, at(11, 23, 12)),
        ("cet après-midi", at(11, 23, 12), at(11, 23, 17)),
        ("cet apres midi", at(11, 23, 12), at(11, 23, 17)),
        ("ce pm", at(11, 23, 12), at(11, 23, 17)),
        ("ce soir", at(11, 23, 17), at(11, 23, 21)),
        ("aujourd'hui après 14h", at(11, 23, 14), at(11, 24)),
    ],
)
def test_relative_days_and_day_parts(text: str, start: datetime, end: datetime) -> None:
    assert window(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("lundi", at(11, 30), at(12, 1)),  # today is Monday: the next one
        ("mardi", at(11, 24), at(11, 25)),
        ("mercredi", at(11, 25), at(11, 26)),
        ("jeudi", at(11, 26), at(11, 27)),
        ("vendredi", at(11, 27), at(11, 28)),
        ("samedi", at(11, 28), at(11, 29)),
        ("dimanche", at(11, 29), at(11, 30)),
        ("lun", at(11, 30), at(12, 1)),
        ("mar.", at(11, 24), at(11, 25)),
        ("mer", at(11, 25), at(11, 26)),
        ("jeu", at(11, 26), at(11, 27)),
        ("ven", at(11, 27), at(11, 28)),
        ("sam", at(11, 28), at(11, 29)),
        ("dim", at(11, 29), at(11, 30)),
        ("Lundi prochain", at(11, 30), at(12, 1)),
        ("mardi prochain", at(11, 24), at(11, 25)),
        ("mardi de la semaine prochaine", at(12, 1), at(12, 2)),
        ("lundi semaine prochaine", at(11, 30), at(12, 1)),
        ("la semaine prochaine jeudi pm", at(12, 3, 12), at(12, 3, 17)),
        ("jeudi soir", at(11, 26, 17), at(11, 26, 21)),
        ("mercredi après-midi", at(11, 25, 12), at(11, 25, 17)),
        ("vendredi matin avant 10h", at(11, 27, 8), at(11, 27, 10)),
        ("vendredi à 9 h 30", at(11, 27, 9), at(11, 27, 10, 30)),
    ],
)
def test_weekdays(text: str, start: datetime, end: datetime) -> None:
    assert window(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("le 3 decembre", at(12, 3), at(12, 4)),
        ("le 3 décembre", at(12, 3), at(12, 4)),
        ("3 déc", at(12, 3), at(12, 4)),
        ("3 dec.", at(12, 3), at(12, 4)),
        ("1er décembre", at(12, 1), at(12, 2)),
        ("premier decembre", at(12, 1), at(12, 2)),
        ("3/12", at(12, 3), at(12, 4)),
        ("3-12", at(12, 3), at(12, 4)),
        ("3/12/2027", at(12, 3, year=2027), at(12, 4, year=2027)),
        ("3 décembre 2027", at(12, 3, year=2027), at(12, 4, year=2027)),
        ("le 22 novembre", at(11, 22, year=2027), at(11, 23, year=2027)),  # past this year: next year
        ("5 janv", at(1, 5, year=2027), at(1, 6, year=2027)),
        ("le 23 novembre", NOW, at(11, 24)),  # today
        ("mardi 1er décembre à 14h30", at(12, 1, 14), at(12, 1, 15, 30)),
        ("le 3 dec a 14h", at(12, 3, 13, 30), at(12, 3, 15)),
        ("le 12 décembre vers 14h", at(12, 12, 13, 30), at(12, 12, 15)),  # "12" is not a minute
        ("12/12 pm", at(12, 12, 12), at(12, 12, 17)),
    ],
)
def test_explicit_dates(text: str, start: datetime, end: datetime) -> None:
    assert window(text) == (start, end)


@pytest.mark.parametrize(
    ("text", "month", "day"),
    [
        ("le 2 janvier", 1, 2),
        ("le 2 février", 2, 2),
        ("le 2 fevrier", 2, 2),
        ("le 2 mars", 3, 2),
        ("le 2 avril", 4, 2),
        ("le 2 mai", 5, 2),
        ("le 2 juin", 6, 2),
        ("le 2 juillet", 7, 2),
        ("le 2 août", 8, 2),
        ("le 2 aout", 8, 2),
        ("le 2 septembre", 9, 2),
        ("le 2 sept", 9, 2),
        ("le 2 octobre", 10, 2),
        ("le 2 oct", 10, 2),
        ("le 2 novembre", 11, 2),
        ("le 2 nov", 11, 2),
        ("le 2 décembre", 12, 2),
    ],
)
def test_every_month_name(text: str, month: int, day: int) -> None:
    found = parse_window(text, NOW)
    assert found is not None
    assert (found.start.month, found.start.day) == (month, day)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("après 14h", at(11, 23, 14), at(11, 24)),
        ("apres 14 h", at(11, 23, 14), at(11, 24)),
        ("à partir de 14h", at(11, 23, 14), at(11, 24)),
        ("dès 14h", at(11, 23, 14), at(11, 24)),
        ("avant 10h", at(11, 24), at(11, 24, 10)),  # 10 h is past today: tomorrow
        ("avant 11h", NOW, at(11, 23, 11)),
        ("vers 15h", at(11, 23, 14, 30), at(11, 23, 16)),
        ("à 15h", at(11, 23, 14, 30), at(11, 23, 16)),
        ("15h", at(11, 23, 14, 30), at(11, 23, 16)),
        ("15 h", at(11, 23, 14, 30), at(11, 23, 16)),
        ("14:30", at(11, 23, 14), at(11, 23, 15, 30)),
        ("14 h 30", at(11, 23, 14), at(11, 23, 15, 30)),
        ("vers midi", at(11, 23, 11, 30), at(11, 23, 13)),
        ("vers 8h", at(11, 24, 7, 30), at(11, 24, 9)),  # over today: tomorrow
        ("entre 13h et 15h", at(11, 23, 13), at(11, 23, 15)),
        ("entre 13 et 15h", at(11, 23, 13), at(11, 23, 15)),
        ("13h-15h", at(11, 23, 13), at(11, 23, 15)),
        ("de 9h à 11h", NOW, at(11, 23, 11)),
        ("demain après 14h", at(11, 24, 14), at(11, 25)),
        ("demain apres 14h et avant 16h", at(11, 24, 14), at(11, 24, 16)),
        ("demain jusqu'à 11h", at(11, 24), at(11, 24, 11)),
        ("demain après-midi après 14h", at(11, 24, 14), at(11, 24, 17)),
        ("demain matin après 14h", at(11, 24, 14), at(11, 25)),  # contradicting part dropped
        # "2h" is 14 h only when the member says pm or afternoon.
        ("demain 2h", at(11, 24, 1, 30), at(11, 24, 3)),
        ("demain 2h pm", at(11, 24, 13, 30), at(11, 24, 15)),
        ("demain 2pm", at(11, 24, 13, 30), at(11, 24, 15)),
        ("demain après-midi vers 2h", at(11, 24, 13, 30), at(11, 24, 15)),
        ("après 2h de l'après-midi", at(11, 23, 14), at(11, 23, 17)),
        ("ce soir vers 7h", at(11, 23, 18, 30), at(11, 23, 20)),
    ],
)
def test_clock_times(text: str, start: datetime, end: datetime) -> None:
    assert window(text) == (start, end)


@pytest.mark.parametrize(
    "text",
    [
        "n'importe quand",
        "nimporte quand",
        "N'IMPORTE QUAND",
        "peu importe",
        "quand vous voulez",
        "le plus tôt possible",
        "le plus tot possible",
        "au plus vite",
        "dès que possible",
        "des que possible",
        "asap",
    ],
)
def test_whenever_means_the_next_two_weeks(text: str) -> None:
    assert window(text) == (NOW, at(12, 7, 10, 15))


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("cette semaine", NOW, at(11, 30)),
        ("n'importe quand cette semaine", NOW, at(11, 30)),
        ("la semaine prochaine", at(11, 30), at(12, 7)),
        ("en fin de semaine", at(11, 28), at(11, 30)),
        ("la fin de semaine", at(11, 28), at(11, 30)),
        ("ce weekend", at(11, 28), at(11, 30)),
        ("ce week-end", at(11, 28), at(11, 30)),
        ("ce mois-ci", NOW, at(12, 1)),
        ("ce mois ci", NOW, at(12, 1)),
        ("n'importe quand demain", at(11, 24), at(11, 25)),  # a named day is more precise
    ],
)
def test_periods(text: str, start: datetime, end: datetime) -> None:
    assert window(text) == (start, end)


def test_weekend_said_on_sunday_keeps_what_is_left_of_it() -> None:
    sunday = at(11, 29, 15)
    assert window("ce weekend", sunday) == (sunday, at(11, 30))
    assert window("la fin de semaine prochaine", sunday) == (at(12, 5), at(12, 7))


@pytest.mark.parametrize(
    "text",
    [
        "pour moi",
        "oui",
        "1",
        "2",
        "",
        "j'ai mal à la tête",
        "mal à la tête depuis 3h",
        "ça fait 2 heures que ça dure",
        "merci",
        "le 31/2",
        "le 3 décembre 2025",  # an explicit year already past
    ],
)
def test_no_time_named(text: str) -> None:
    assert parse_window(text, NOW) is None


@pytest.mark.parametrize("text", ["ce matin", "aujourd'hui avant 10h", "ce matin vers 9h"])
def test_today_already_over_is_none(text: str) -> None:
    assert parse_window(text, at(11, 23, 14)) is None


def test_window_never_starts_before_now() -> None:
    late = at(11, 23, 15, 40)
    assert window("cet après-midi", late) == (late, at(11, 23, 17))
    assert window("après 14h", late) == (late, at(11, 24))


def test_weekday_window_already_over_moves_a_week_later() -> None:
    # parse_window always picks a weekday after today; the rule guards the helper it relies on.
    assert _clip(at(11, 16, 8), at(11, 16, 12), NOW, weekly=True) == Window(NOW, at(11, 23, 12))  # then clipped to now
    assert _clip(at(11, 16, 8), at(11, 16, 12), NOW, weekly=False) is None


def test_now_in_another_zone_is_converted() -> None:
    found = parse_window("demain matin", NOW.astimezone(UTC))
    assert found is not None
    assert (found.start, found.end) == (at(11, 24, 8), at(11, 24, 12))
    assert found.start.tzinfo is QUEBEC


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_window("demain", datetime(2026, 11, 23, 10, 15))


def test_spring_forward_day_has_23_hours() -> None:
    found = parse_window("le 8 mars", at(3, 1, 9))
    assert found is not None
    assert found.start == at(3, 8) and found.end == at(3, 9)
    assert found.start.utcoffset() == timedelta(hours=-5)  # EST
    assert found.end.utcoffset() == timedelta(hours=-4)  # EDT
    assert real_hours(found) == 23


def test_fall_back_day_has_25_hours() -> None:
    found = parse_window("le 1er novembre", at(10, 20, 9))
    assert found is not None
    assert found.start.utcoffset() == timedelta(hours=-4)  # EDT
    assert found.end.utcoffset() == timedelta(hours=-5)  # EST
    assert real_hours(found) == 25


def test_day_part_after_a_dst_change_keeps_wall_clock_hours() -> None:
    found = parse_window("lundi matin", at(3, 6, 9))  # Friday before spring forward
    assert found is not None
    assert found.start == at(3, 9, 8) and found.start.utcoffset() == timedelta(hours=-4)
    assert real_hours(found) == 4


def test_whenever_across_dst_keeps_the_wall_clock() -> None:
    found = parse_window("n'importe quand", at(10, 25, 10))
    assert found is not None
    assert found.end == at(11, 8, 10)
    assert real_hours(found) == 14 * 24 + 1


def test_window_contains_uses_real_instants() -> None:
    found = Window(at(11, 1), at(11, 2))
    assert found.contains(at(11, 1))
    assert found.contains(datetime(2026, 11, 2, 4, 59, tzinfo=UTC))  # 23:59 EST
    assert not found.contains(at(11, 2))
    assert not found.contains(datetime(2026, 11, 1, 3, 59, tzinfo=UTC))  # 23:59 EDT the day before


def test_window_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError):
        Window(at(11, 2), at(11, 1))
    with pytest.raises(ValueError):
        Window(datetime(2026, 11, 1), datetime(2026, 11, 2))


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(12, 1, 14, 30), "mardi 1er décembre à 14 h 30"),
        (at(12, 7, 9), "lundi 7 décembre à 9 h"),
        (at(12, 7, 9, 5), "lundi 7 décembre à 9 h 05"),
        (at(11, 23, 0), "lundi 23 novembre à 0 h"),
        (datetime(2026, 11, 2, 14, 30, tzinfo=UTC), "lundi 2 novembre à 9 h 30"),  # EST, UTC-5
        (datetime(2026, 10, 30, 14, 30, tzinfo=UTC), "vendredi 30 octobre à 10 h 30"),  # EDT, UTC-4
        (datetime(2026, 3, 9, 13, 0, tzinfo=UTC), "lundi 9 mars à 9 h"),  # after spring forward
        (datetime(2026, 12, 2, 3, 0, tzinfo=UTC), "mardi 1er décembre à 22 h"),  # date changes too
    ],
)
def test_french_datetime(moment: datetime, expected: str) -> None:
    assert french_datetime(moment) == expected


def test_french_datetime_refuses_naive() -> None:
    with pytest.raises(ValueError):
        french_datetime(datetime(2026, 12, 1, 14, 30))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2027, 1, 1), "vendredi 1er janvier"),
        (date(2027, 2, 2), "mardi 2 février"),
        (date(2027, 3, 3), "mercredi 3 mars"),
        (date(2027, 4, 1), "jeudi 1er avril"),
        (date(2027, 5, 14), "vendredi 14 mai"),
        (date(2027, 6, 12), "samedi 12 juin"),
        (date(2027, 7, 11), "dimanche 11 juillet"),
        (date(2027, 8, 2), "lundi 2 août"),
        (date(2027, 9, 21), "mardi 21 septembre"),
        (date(2027, 10, 31), "dimanche 31 octobre"),
        (date(2027, 11, 1), "lundi 1er novembre"),
        (date(2026, 12, 1), "mardi 1er décembre"),
    ],
)
def test_french_date(day: date, expected: str) -> None:
    assert french_date(day) == expected
