"""The coop member registry format: parsing and checking a coop's CSV export.

Format (see ../shared/samples/members_sample.csv):
numero_membre,prenom,nom,date_naissance,telephone,cooperative,statut,telemedecine_jusqua
Dates are ISO (AAAA-MM-JJ); phone numbers in any common North American format are stored in
E.164; `statut` is actif, expire or suspendu; `telemedecine_jusqua` is the date the telemedicine
plan is paid to, or empty. Error messages name the line and the column, never the value typed,
so that an import report holds no personal data.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

import phonenumbers

HEADER = (
    "numero_membre",
    "prenom",
    "nom",
    "date_naissance",
    "telephone",
    "cooperative",
    "statut",
    "telemedecine_jusqua",
)
STATUSES = ("actif", "expire", "suspendu")
MAX_FIELD_LENGTH = 200


@dataclass(frozen=True)
class Member:
    number: str
    first_name: str
    last_name: str
    birth_date: date
    phone: str  # E.164, e.g. +18195550101
    coop: str
    status: str
    telemedicine_until: date | None

    def to_record(self) -> dict[str, str]:
        """The member as flat strings, in the registry's column names."""
        return {
            "numero_membre": self.number,
            "prenom": self.first_name,
            "nom": self.last_name,
            "date_naissance": self.birth_date.isoformat(),
            "telephone": self.phone,
            "cooperative": self.coop,
            "statut": self.status,
            "telemedecine_jusqua": self.telemedicine_until.isoformat() if self.telemedicine_until else "",
        }

    @classmethod
    def from_record(cls, record: dict[str, str]) -> Member:
        until = record.get("telemedecine_jusqua") or ""
        return cls(
            number=record["numero_membre"],
            first_name=record["prenom"],
            last_name=record["nom"],
            birth_date=date.fromisoformat(record["date_naissance"]),
            phone=record["telephone"],
            coop=record["cooperative"],
            status=record["statut"],
            telemedicine_until=date.fromisoformat(until) if until else None,
        )


def normalise_phone(raw: str) -> str:
    """A North American phone number in E.164 ("(819) 555-0101" -> "+18195550101")."""
    try:
        number = phonenumbers.parse(raw, "CA")
    except phonenumbers.NumberParseException:
        raise ValueError("telephone: pas un numéro de téléphone") from None
    if number.country_code != 1 or not phonenumbers.is_valid_number(number):
        raise ValueError("telephone: pas un numéro nord-américain valide")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _iso_date(value: str, column: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{column}: pas une date AAAA-MM-JJ") from None


def parse_member(row: dict[str, str], today: date) -> Member:
    """Check one CSV row and build the member; ValueError names the column at fault."""
    values = {key: (row.get(key) or "").strip() for key in HEADER}
    for column in ("numero_membre", "prenom", "nom", "date_naissance", "telephone", "cooperative", "statut"):
        if not values[column]:
            raise ValueError(f"{column}: vide")
    for column, value in values.items():
        if len(value) > MAX_FIELD_LENGTH:
            raise ValueError(f"{column}: trop long")
    birth = _iso_date(values["date_naissance"], "date_naissance")
    if birth > today or birth.year < 1900:
        raise ValueError("date_naissance: hors des dates possibles")
    status = values["statut"].lower()
    if status not in STATUSES:
        raise ValueError(f"statut: doit être {', '.join(STATUSES)}")
    until = values["telemedecine_jusqua"]
    return Member(
        number=values["numero_membre"].upper(),
        first_name=values["prenom"],
        last_name=values["nom"],
        birth_date=birth,
        phone=normalise_phone(values["telephone"]),
        coop=values["cooperative"],
        status=status,
        telemedicine_until=_iso_date(until, "telemedecine_jusqua") if until else None,
    )


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"ligne {self.line}: {self.reason}"


@dataclass
class ParsedRegistry:
    """Members read from a file, the rows set aside, and errors that stop the whole import."""

    members: list[Member] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 as Excel writes it in Quebec."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def parse_registry(data: bytes, today: date | None = None) -> ParsedRegistry:
    """Read a coop's CSV export. Bad rows are set aside; a bad header or a member number
    that appears twice is fatal, because the file cannot be trusted as a whole."""
    today = today or date.today()
    result = ParsedRegistry()
    try:
        text = decode(data)
    except UnicodeDecodeError:
        result.fatal.append("le fichier n'est ni en UTF-8 ni en Windows-1252")
        return result
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = tuple((name or "").strip() for name in (reader.fieldnames or ()))
    if header != HEADER:
        result.fatal.append(f"en-tête attendu: {','.join(HEADER)}")
        return result
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            result.row_errors.append(RowError(line, "trop de colonnes"))
            continue
        try:
            member = parse_member(row, today)
        except ValueError as exc:
            result.row_errors.append(RowError(line, str(exc)))
            continue
        if member.number in seen:
            result.fatal.append(f"ligne {line}: numero_membre déjà vu à la ligne {seen[member.number]}")
            continue
        seen[member.number] = line
        result.members.append(member)
    if not result.members and not result.row_errors and not result.fatal:
        result.fatal.append("aucun membre dans le fichier")
    return result
