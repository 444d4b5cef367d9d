from datetime import date

import pytest

from bot.membership.birthdate import parse_birth_date

TODAY = date(2026, 11, 23)
MARCH_12 = date(1956, 3, 12)


@pytest.mark.parametrize(
    "typed",
    ["12 mars 1956", "1956-03-12", "12/03/56", "12 03 1956", "12-03-1956", "le 12 mars 56", "12 MARS 1956",
     "12 Mar 1956", "March 12, 1956", "12031956", "né le 12 mars 1956", "12.03.1956"],
)  # fmt: skip
def test_forms_people_type(typed: str) -> None:
    assert MARCH_12 in parse_birth_date(typed, TODAY)


def test_first_of_the_month() -> None:
    assert parse_birth_date("1er avril 1960", TODAY) == [date(1960, 4, 1)]


def test_ambiguous_numeric_dates_give_both_readings() -> None:
    assert parse_birth_date("03/12/1956", TODAY) == [date(1956, 12, 3), date(1956, 3, 12)]
    assert parse_birth_date("25/12/1956", TODAY) == [date(1956, 12, 25)]


def test_two_digit_years() -> None:
    assert parse_birth_date("04/05/19", TODAY)[0] == date(2019, 5, 4)
    assert parse_birth_date("04/05/56", TODAY)[0] == date(1956, 5, 4)


@pytest.mark.parametrize("typed", ["", "bonjour", "31 fevrier 1956", "12 mars 2099", "1234", "oui"])
def test_not_a_date(typed: str) -> None:
    assert parse_birth_date(typed, TODAY) == []
