"""Clinician accounts for the handoff console.

    python -m ops.console_user add EMAIL --name "Marie Tremblay" --role infirmiere --coop val-morin
    python -m ops.console_user coops EMAIL --coop val-morin --coop hautes-laurentides
    python -m ops.console_user password EMAIL
    python -m ops.console_user list
    python -m ops.console_user demo          # make run: demo accounts, passwords printed once

Roles: infirmiere, ips, medecin (clinicians: their coops' tickets), admin (a coop's audit trail),
federation (every coop's audit trail; needs no coop). Coop ids are those of content/coops.yml.
An account without a coop sees nothing until given one (`coops`). A new password is generated
(and printed once) unless one is typed at the prompt (--ask); it ends the account's sessions.
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from bot.content import load_content
from bot.handoff.clinicians import ROLES, AccountError, ClinicianAccounts
from bot.platform.redis_clients import sync_client
from bot.platform.settings import load_settings

DEMO_ACCOUNTS = (
    ("infirmiere@demo.coopsante.example", "Marie Demo", "infirmiere", ("val-morin", "hautes-laurentides")),
    # has demo availability and bookings
    ("dre.demo@demo.coopsante.example", "Dre Julie Demo", "medecin", ("val-morin",)),
    ("admin@demo.coopsante.example", "Admin Demo", "admin", ("val-morin",)),
    ("gestion@demo.coopsante.example", "Gestion Demo", "gestionnaire", ("val-morin", "hautes-laurentides")),
    ("federation@demo.coopsante.example", "Fédération Demo", "federation", ()),
)


def known_coops(wanted: list[str]) -> tuple[str, ...]:
    """The coops asked for, each checked against content/coops.yml."""
    known = set(load_content(load_settings().content_dir).coops)
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise AccountError(f"coop inconnue: {', '.join(unknown)} (choix: {', '.join(sorted(known))})")
    return tuple(wanted)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=sorted(ROLES))
    add.add_argument("--coop", action="append", default=[], help="a coop of the account (repeat for several)")
    coops = commands.add_parser("coops", help="set the coops of an account (replacing its former ones)")
    coops.add_argument("email")
    coops.add_argument("--coop", action="append", default=[])
    commands.add_parser("list", help="every account, its role and coops")
    add.add_argument("--ask", action="store_true", help="type the password instead of generating one")
    password = commands.add_parser("password", help="set a new password")
    password.add_argument("email")
    password.add_argument("--ask", action="store_true")
    commands.add_parser("demo", help="create the demo accounts if missing, printing their passwords once")
    args = parser.parse_args(argv)

    accounts = ClinicianAccounts(sync_client())
    try:
        if args.command == "demo":
            for email, name, role, demo_coops in DEMO_ACCOUNTS:
                if accounts.exists(email):
                    print(
                        f"  {email} ({role}): existe déjà (nouveau mot de passe: make console-password EMAIL={email})"
                    )
                    continue
                secret = new_password()
                accounts.create(email, name, role, secret, demo_coops)
                print(f"  {email} ({role})  mot de passe: {secret}  (affiché une seule fois)")
            return 0
        if args.command == "list":
            for account in accounts.all():
                print(f"  {account.email} ({account.role}): {', '.join(account.coops) or 'aucune coop'}")
            return 0
        if args.command == "coops":
            changed = accounts.set_coops(args.email, known_coops(args.coop))
            print(f"{changed.email}: {', '.join(changed.coops) or 'aucune coop'}")
            return 0
        if args.command == "add" and not args.coop and args.role != "federation":
            raise AccountError("au moins une --coop (sauf pour le rôle federation)")
        secret = getpass.getpass("Mot de passe: ") if args.ask else new_password()
        if args.command == "add":
            accounts.create(args.email, args.name, args.role, secret, known_coops(args.coop))
        else:
            accounts.set_password(args.email, secret)
    except AccountError as error:
        print(f"Erreur: {error}", file=sys.stderr)
        return 2
    if not args.ask:
        print(f"Mot de passe de {args.email}: {secret} (affiché une seule fois)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
