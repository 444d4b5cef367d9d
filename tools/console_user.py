"""Clinician accounts for the handoff console.

    python -m tools.console_user add EMAIL --name "Marie Tremblay" --role infirmiere
    python -m tools.console_user password EMAIL
    python -m tools.console_user demo          # make run: demo accounts, passwords printed once

A new password is generated (and printed once) unless one is typed at the prompt (--ask).
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

import redis

from bot.clinicians import ROLES, AccountError, ClinicianAccounts
from bot.settings import load_settings

DEMO_ACCOUNTS = (
    ("infirmiere@demo.coopsante.example", "Marie Demo", "infirmiere"),
    ("dre.demo@demo.coopsante.example", "Dre Julie Demo", "medecin"),  # has demo availability and bookings
    ("admin@demo.coopsante.example", "Admin Demo", "admin"),
)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account")
    add.add_argument("email")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, choices=sorted(ROLES))
    add.add_argument("--ask", action="store_true", help="type the password instead of generating one")
    password = commands.add_parser("password", help="set a new password")
    password.add_argument("email")
    password.add_argument("--ask", action="store_true")
    commands.add_parser("demo", help="create the demo accounts if missing, printing their passwords once")
    args = parser.parse_args(argv)

    accounts = ClinicianAccounts(redis.Redis.from_url(load_settings().redis_url, decode_responses=True))
    try:
        if args.command == "demo":
            for email, name, role in DEMO_ACCOUNTS:
                if accounts.exists(email):
                    print(
                        f"  {email} ({role}): existe déjà (nouveau mot de passe: make console-password EMAIL={email})"
                    )
                    continue
                secret = new_password()
                accounts.create(email, name, role, secret)
                print(f"  {email} ({role})  mot de passe: {secret}  (affiché une seule fois)")
            return 0
        secret = getpass.getpass("Mot de passe: ") if args.ask else new_password()
        if args.command == "add":
            accounts.create(args.email, args.name, args.role, secret)
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
