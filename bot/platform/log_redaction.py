"""Personal data out of the logs: a logging filter that masks phones, member numbers, dates and e-mails.

`RedactPersonalData` formats each record's message with its arguments, then replaces

- e-mail addresses by `[courriel]`;
- member numbers (two or three letters, a dash, 4 to 8 digits: `VM-000101`) by `[membre]`;
- phone numbers (E.164 `+18195550101`, also URL-encoded `%2B1...` as in Twilio's webhooks, and
  North American forms `819-555-0101`, `(819) 555 0101`, `819 555-0101`, `8195550101`,
  `1-819-555-0101`) by `[tel]`;
- dates (`1948-03-12`, `12/03/1948`, `12.03.1948`, `12/03/48`, `12 mars 1948`, `1er mars`,
  `mars 1948`) by `[date]`.

It is a safety net, not anonymisation: names, symptoms and other free text are NOT detected, so
production must not log message texts (keep LOG_LEVEL at INFO: Rasa's DEBUG logs hold them).
Tracebacks attached to a record are redacted too.

Use it from a logging configuration file (`deploy/logging.yml`, loaded by
`rasa run --logging-config-file`), or call `install()` once the loggers have their handlers.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable

__all__ = ["RedactPersonalData", "install", "redact"]

_MONTHS = (
    r"janv(?:ier|\.)?|f[ée]v(?:rier|r\.|\.)?|mars|avr(?:il|\.)?|mai|juin|juil(?:let|\.)?|ao[ûu]t"
    r"|sept(?:embre|\.)?|oct(?:obre|\.)?|nov(?:embre|\.)?|d[ée]c(?:embre|\.)?"
)
_MONTH = rf"(?:{_MONTHS})(?!\w)"
_DAY = r"(?:1er|[0-3]?\d)"

# Order matters: e-mails first (their local part may hold digits), then member numbers, phones, dates.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[courriel]"),
    (re.compile(r"(?<![\w-])[A-Za-z]{2,3}-\d{4,8}(?![\w-])"), "[membre]"),
    # E.164, as typed or URL-encoded.
    (re.compile(r"(?<![\w+])(?:\+|%2[Bb])[1-9]\d{7,14}(?!\d)"), "[tel]"),
    # North American numbers: area code and exchange start with 2-9 (so epoch seconds are left alone).
    (
        re.compile(r"(?<![\w+])(?:\+?1[\s.-]?)?(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[\s.-]?)[2-9]\d{2}[\s.-]?\d{4}(?!\w)"),
        "[tel]",
    ),
    # 1948-03-12, 1948/03/12 (also the date part of 2026-12-01T09:00).
    (re.compile(r"(?<!\d)\d{4}([-/])\d{1,2}\1\d{1,2}(?!\d)"), "[date]"),
    # 12/03/1948, 12-03-1948, 12.03.1948.
    (re.compile(r"(?<![\w/.-])\d{1,2}([/.-])\d{1,2}\1(?:19|20)\d{2}(?![\w/-]|\.\d)"), "[date]"),
    # 12/03/48, 12-03-48 (no dots: "3.6.21" is a version number).
    (re.compile(r"(?<![\w/.-])\d{1,2}([/-])\d{1,2}\1\d{2}(?![\w/-]|\.\d)"), "[date]"),
    # 12 mars 1948, 1er mars, 12 déc. 48, mars 1948.
    (
        re.compile(
            rf"(?<!\w)(?:{_DAY}\s+{_MONTH}(?:\s+(?:\d{{4}}|\d{{2}})(?!\d))?|{_MONTH}\s+\d{{4}}(?!\d))",
            re.IGNORECASE,
        ),
        "[date]",
    ),
)

_DONE = "_coopsante_redacted"  # set on a record once filtered, so a second handler does not redo it


def redact(text: str) -> str:
    """The text with phones, member numbers, dates and e-mail addresses masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _json_escaped(text: str) -> str:
    """The text as it must appear between the quotes of a JSON string."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


class RedactPersonalData(logging.Filter):
    """Rewrites each record's message (formatted with its arguments) with personal data masked.

    `json_escape=True` also escapes the message for a JSON string and folds any traceback into it,
    so that a format such as `{"message":"%(message)s"}` gives one valid JSON object per line. Use it
    only on the handler that writes JSON: the record is shared with the logger's other handlers.
    The filter never drops a record.
    """

    def __init__(self, name: str = "", json_escape: bool = False) -> None:
        super().__init__(name)
        self.json_escape = json_escape

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _DONE, False):
            return True
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # arguments that do not fit the format: keep both, masked
            message = f"{record.msg} {record.args!r}"
        message = redact(message)

        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)

        if self.json_escape:
            for extra in (record.exc_text, record.stack_info):
                if extra:
                    message = f"{message}\n{extra}"
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
            message = _json_escaped(message)

        record.msg = message
        record.args = None
        setattr(record, _DONE, True)
        return True


def install(logger_names: Iterable[str] = ("",)) -> None:
    """Add the filter to every handler of the given loggers and of the root logger (once per handler).

    Call it after the loggers have their handlers (handlers added later are not covered), e.g. for
    Sanic's own loggers, which Sanic configures when the Rasa app is created:
    `install(("", "sanic.root", "sanic.error", "sanic.access"))`.
    """
    loggers = [logging.getLogger(name) for name in logger_names]
    loggers.append(logging.getLogger())
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(existing, RedactPersonalData) for existing in handler.filters):
                handler.addFilter(RedactPersonalData())
