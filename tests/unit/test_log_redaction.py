"""The log filter masks phones, member numbers, dates and e-mails, and deploy/logging.yml uses it."""

from __future__ import annotations

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.platform.log_redaction import RedactPersonalData, install, redact

ROOT = Path(__file__).resolve().parents[2]
LOGGING_YML = ROOT / "deploy" / "logging.yml"


def record(msg: Any, *args: Any, exc_info: Any = None) -> logging.LogRecord:
    return logging.LogRecord("test", logging.INFO, __file__, 1, msg, args or None, exc_info)


def filtered(msg: Any, *args: Any, json_escape: bool = False) -> str:
    rec = record(msg, *args)
    assert RedactPersonalData(json_escape=json_escape).filter(rec) is True
    return rec.getMessage()


@pytest.mark.parametrize(
    "phone",
    [
        "+18195550101",
        "819-555-0101",
        "(819) 555 0101",
        "(819) 555-0101",
        "819 555-0101",
        "8195550101",
        "819.555.0101",
        "1-819-555-0101",
        "+1 819 555 0101",
    ],
)
def test_phone_numbers(phone: str) -> None:
    assert filtered(f"SMS de {phone} reçu") == "SMS de [tel] reçu"


def test_url_encoded_phone_from_a_twilio_body() -> None:
    assert filtered("From=%2B18195550101&Body=allo") == "From=[tel]&Body=allo"


@pytest.mark.parametrize("number", ["VM-000101", "HL-000362", "ABC-1234", "VM-12345678", "vm-000101"])
def test_member_numbers(number: str) -> None:
    assert filtered(f"membre {number} vérifié") == "membre [membre] vérifié"


@pytest.mark.parametrize(
    "date",
    [
        "1948-03-12",
        "12/03/1948",
        "12-03-1948",
        "12.03.1948",
        "12/03/48",
        "12 mars 1948",
        "1er mars 1948",
        "3 Décembre 1956",
        "12 déc. 48",
        "12 fevrier 1950",
        "9 août 1961",
        "mars 1948",
        "12 mars",
    ],
)
def test_dates(date: str) -> None:
    assert filtered(f"né le {date}, vérifié") == "né le [date], vérifié"


def test_date_part_of_a_timestamp() -> None:
    assert redact("créneau 2026-12-01T09:00:00") == "créneau [date]T09:00:00"


@pytest.mark.parametrize("email", ["gisele.tremblay@example.org", "marie+coop@coop-sante.example.qc.ca"])
def test_email_addresses(email: str) -> None:
    assert filtered(f"compte {email} créé") == "compte [courriel] créé"


def test_everything_in_one_line() -> None:
    line = "Gisèle Tremblay VM-000101, (819) 555-0101, née le 12 mars 1948, gisele@example.org"
    assert redact(line) == "Gisèle Tremblay [membre], [tel], née le [date], [courriel]"


def test_percent_args_are_formatted_then_redacted() -> None:
    rec = record("membre %s, tel %s, né le %s (%d essais)", "VM-000101", "+18195550101", "1948-03-12", 2)
    RedactPersonalData().filter(rec)
    assert rec.msg == "membre [membre], tel [tel], né le [date] (2 essais)"
    assert rec.args is None
    assert rec.getMessage() == rec.msg


def test_mapping_args() -> None:
    assert filtered("tel %(tel)s", {"tel": "819-555-0101"}) == "tel [tel]"


def test_args_that_do_not_fit_the_format_are_kept_and_redacted() -> None:
    message = filtered("tel %s %s", "819-555-0101")
    assert "819" not in message and "[tel]" in message


@pytest.mark.parametrize(
    "text",
    [
        "triage disposition=clinicien rules=douleur_thoracique latency_ms=42",
        "Rasa 3.6.21, dask 2022.10.2, port 5005, epoch 1732380000.25, 911 et 811",
        "Gisèle Tremblay a écrit: j'ai mal à la gorge depuis mardi",  # names are not detected
        "Mars est une planète; le mois de mai",
        "session web-3f2a9c1e8b7d4a60 uuid 123e4567-e89b-12d3-a456-426614174000",
        '{"event": "triage", "disposition": "info"}',
    ],
)
def test_nothing_to_redact_is_left_unchanged(text: str) -> None:
    assert filtered(text) == text


def test_non_string_messages() -> None:
    assert filtered({"tel": "+18195550101"}) == "{'tel': '[tel]'}"


def test_tracebacks_are_redacted() -> None:
    try:
        raise ValueError("numéro 819-555-0101 refusé")
    except ValueError as error:
        rec = record("échec pour %s", "VM-000101", exc_info=(type(error), error, error.__traceback__))
    RedactPersonalData().filter(rec)
    text = logging.Formatter("%(message)s").format(rec)
    assert "échec pour [membre]" in text
    assert "ValueError: numéro [tel] refusé" in text
    assert "819-555-0101" not in text


def test_json_escape_gives_one_valid_line() -> None:
    try:
        raise RuntimeError('courriel "gisele@example.org"')
    except RuntimeError as error:
        rec = record('réponse "%s"\\fin', "VM-000101", exc_info=(type(error), error, error.__traceback__))
    RedactPersonalData(json_escape=True).filter(rec)
    line = logging.Formatter('{"message":"%(message)s"}').format(rec)
    assert "\n" not in line
    message = json.loads(line)["message"]
    assert message.startswith('réponse "[membre]"\\fin\nTraceback')
    assert message.endswith('RuntimeError: courriel "[courriel]"')


def test_a_record_is_filtered_once_across_handlers() -> None:
    rec = record('dit "%s"', "819-555-0101")
    RedactPersonalData(json_escape=True).filter(rec)
    RedactPersonalData(json_escape=True).filter(rec)
    assert rec.getMessage() == 'dit \\"[tel]\\"'


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Put the root logger and the test logger back as they were."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    for handler in root.handlers[:]:
        if handler not in saved[0]:
            root.removeHandler(handler)
    for handler in saved[0]:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(saved[1])
    test_logger = logging.getLogger("coopsante.test")
    test_logger.handlers.clear()
    test_logger.propagate = True


def test_install_adds_the_filter_once(clean_logging: None) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("coopsante.test")
    logger.addHandler(handler)
    logger.propagate = False
    install(["coopsante.test"])
    install(["coopsante.test"])
    assert sum(isinstance(f, RedactPersonalData) for f in handler.filters) == 1
    logger.warning("rappel envoyé au %s", "+18195550101")
    assert stream.getvalue().strip() == "rappel envoyé au [tel]"


def test_logging_yml_loads_and_redacts(clean_logging: None) -> None:
    config = yaml.safe_load(LOGGING_YML.read_text(encoding="utf-8"))
    logging.config.dictConfig(config)
    handlers = logging.getLogger().handlers
    assert len(handlers) == 1
    stream = io.StringIO()
    handler = handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)

    logging.getLogger("rasa.core.processor").info(
        'Membre %s "%s" né le %s, courriel %s', "HL-000362", "(819) 555 0101", "12 mars 1948", "a@b.example"
    )

    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "INFO"
    assert entry["logger"] == "rasa.core.processor"
    assert entry["message"] == 'Membre [membre] "[tel]" né le [date], courriel [courriel]'
    assert isinstance(entry["process"], int)
