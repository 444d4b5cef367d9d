"""make import-members FILE=<csv>: import a coop's member export into the registry (PostgreSQL).

Idempotent upsert. Rows with errors are reported by line and set aside; a fatal error (wrong
header, a member number twice, unreadable encoding) changes nothing. `--demo-if-empty` loads the
synthetic demo registry when the registry is empty (used by `make run`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.membership.demo import demo_registry_csv
from bot.membership.members import parse_registry
from bot.membership.store import MemberRegistry
from bot.platform.settings import load_settings
from bot.records.database import engine_for


def import_bytes(registry: MemberRegistry, data: bytes) -> int:
    """Import one file's content; print the report; return the process exit code."""
    parsed = parse_registry(data)
    for error in parsed.row_errors:
        print(f"  rejetée: {error}")
    if parsed.fatal:
        for message in parsed.fatal:
            print(f"ERREUR: {message}")
        print("Rien n'a été importé.")
        return 2
    report = registry.upsert(parsed.members)
    print(
        f"{len(parsed.members)} membres lus: {report.created} ajoutés, {report.updated} mis à jour, "
        f"{report.unchanged} inchangés; {len(parsed.row_errors)} lignes rejetées."
    )
    return 1 if parsed.row_errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path)
    source.add_argument("--demo-if-empty", action="store_true")
    args = parser.parse_args()

    settings = load_settings()
    if not settings.database_url:
        sys.exit("DATABASE_URL n'est pas réglée: lancez `make run` ou réglez DATABASE_URL.")
    engine = engine_for(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        sys.exit("PostgreSQL ne répond pas: lancez `make run` ou réglez DATABASE_URL.")
    registry = MemberRegistry(engine)
    if args.demo_if_empty:
        if registry.count() == 0:
            print("Registre vide: chargement des membres de démonstration.")
            sys.exit(import_bytes(registry, demo_registry_csv()))
        return
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        sys.exit(f"Fichier illisible: {exc.strerror}")
    sys.exit(import_bytes(registry, data))


if __name__ == "__main__":
    main()
