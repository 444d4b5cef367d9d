"""Import clinicians' availability into the records (PostgreSQL), from a CSV or an iCalendar (.ics) file.

    python -m ops.import_schedule dispo.csv
    python -m ops.import_schedule agenda.ics --clinicien dre@coop.example --type medecin \\
        --coop val-morin --modalites video,telephone
    python -m ops.import_schedule --demo-if-empty      # make run: three weeks of fictional availability

CSV columns: clinicien,type,coop,modalites,debut,fin (modalites separated by ";", times as
"YYYY-MM-DD HH:MM" in Quebec time). A bad line stops the import and changes nothing.
An .ics file's recurring events are imported from today to IMPORT_WEEKS (8) weeks ahead; its
all-day events are set aside and listed (bot/booking/ics_import.py).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from bot.booking.availability import QUEBEC, Availability, ScheduleError, demo_blocks, parse_csv
from bot.booking.ics_import import parse_ics
from bot.platform.settings import load_settings
from bot.records.database import engine_for


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("file", nargs="?", type=Path)
    parser.add_argument("--demo-if-empty", action="store_true")
    parser.add_argument("--clinicien")
    parser.add_argument("--type")
    parser.add_argument("--coop")
    parser.add_argument("--modalites", default="video,telephone")
    args = parser.parse_args(argv)
    availability = Availability(engine_for(load_settings().database_url))
    if args.demo_if_empty:
        if availability.empty():
            count = availability.add(demo_blocks(datetime.now(QUEBEC).date()))
            print(f"Horaire vide: {count} plages de démonstration ajoutées.")
        return 0
    if args.file is None:
        parser.error("a file, or --demo-if-empty")
    if args.file.suffix.lower() == ".ics" and not (args.clinicien and args.type and args.coop):
        parser.error(".ics needs --clinicien, --type and --coop")
    try:
        text = args.file.read_text(encoding="utf-8-sig")
        if args.file.suffix.lower() == ".ics":
            read = parse_ics(text, args.clinicien, args.type, args.coop, args.modalites.split(","))
            for note in read.skipped:
                print(f"{args.file}: {note}.", file=sys.stderr)
            blocks = read.blocks
        else:
            blocks = parse_csv(text)
    except (OSError, UnicodeDecodeError, ScheduleError) as error:
        print(f"{args.file}: {error}. Rien n'a été importé.", file=sys.stderr)
        return 2
    print(f"{availability.add(blocks)} plages importées.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
