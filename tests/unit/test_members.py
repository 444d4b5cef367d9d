from datetime import date
from pathlib import Path

import pytest

from bot.membership.members import HEADER, Member, normalise_phone, parse_registry

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT.parent / "shared" / "samples" / "members_sample.csv"
TODAY = date(2026, 11, 23)
HEAD = ",".join(HEADER) + "\n"


@pytest.mark.parametrize(
    "raw", ["(819) 555-0101", "819-555-0101", "+1 819 555 0101", "8195550101", "819.555.0101", "1-819-555-0101"]
)
def test_phone_formats(raw: str) -> None:
    assert normalise_phone(raw) == "+18195550101"


@pytest.mark.parametrize("raw", ["555-0101", "abc", "+33 1 23 45 67 89", "819-555-01"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(raw)


def test_the_shared_sample_parses() -> None:
    if not SAMPLE.exists():
        pytest.fail(f"{SAMPLE} is missing: CI runs with ../shared beside the checkout")
    parsed = parse_registry(SAMPLE.read_bytes(), TODAY)
    assert parsed.fatal == [] and parsed.row_errors == []
    assert len(parsed.members) == 10
    gisele = parsed.members[0]
    assert gisele == Member(
        "VM-000101", "Gisèle", "Tremblay", date(1948, 3, 12), "+18195550101",
        "Coopérative de solidarité santé Val-Morin", "actif", date(2027, 1, 31),
    )  # fmt: skip
    assert parsed.members[2].telemedicine_until is None


def test_bad_rows_are_reported_by_line_without_their_values() -> None:
    data = (
        HEAD
        + "A-1,Ana,Roy,1956-13-01,819-555-0101,Coop,actif,\n"
        + "A-2,Bo,Roy,1956-03-12,555,Coop,actif,\n"
        + "A-3,Cy,Roy,1956-03-12,819-555-0101,Coop,retraite,\n"
        + "A-4,Di,Roy,1956-03-12,819-555-0101,Coop,actif,2027-01-01\n"
    ).encode()
    parsed = parse_registry(data, TODAY)
    assert [str(e) for e in parsed.row_errors] == [
        "ligne 2: date_naissance: pas une date AAAA-MM-JJ",
        "ligne 3: telephone: pas un numéro nord-américain valide",
        "ligne 4: statut: doit être actif, expire, suspendu",
    ]
    assert "1956-13-01" not in str(parsed.row_errors)
    assert [m.number for m in parsed.members] == ["A-4"]


def test_fatal_errors() -> None:
    assert parse_registry(b"nom,prenom\nx,y\n", TODAY).fatal
    assert parse_registry(b"", TODAY).fatal
    twice = (HEAD + "A-1,Ana,Roy,1956-03-12,819-555-0101,Coop,actif,\n" * 2).encode()
    assert "déjà vu" in parse_registry(twice, TODAY).fatal[0]


def test_windows_1252_export() -> None:
    data = (HEAD + "A-1,Gisèle,Côté,1956-03-12,819-555-0101,Coop,actif,\n").encode("cp1252")
    assert parse_registry(data, TODAY).members[0].last_name == "Côté"


def test_record_round_trip() -> None:
    member = Member("A-1", "Ana", "Roy", date(1956, 3, 12), "+18195550101", "Coop", "actif", None)
    assert Member.from_record(member.to_record()) == member
