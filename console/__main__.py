"""python -m console [--port 5020]: the clinician handoff console (see console/app.py)."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from bot.booking.availability import load_rules
from bot.content import load_content
from bot.handoff.clinicians import ClinicianAccounts
from bot.handoff.desk import HandoffDesk
from bot.platform.audit import AuditLog
from bot.platform.redis_clients import sync_client
from bot.platform.settings import console_section, load_settings
from bot.records.database import engine_for
from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from console.app import make_app, settings_from_env
from console.delivery import MemberDelivery


def main() -> None:
    parser = argparse.ArgumentParser(description="Clinician handoff console")
    defaults = console_section()
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)  # URLs hold ticket ids, not needed in logs

    settings = load_settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set: `make run` starts PostgreSQL and sets it")
    database = engine_for(settings.database_url)
    client = sync_client(settings.redis_url)
    content = load_content(settings.content_dir, settings.default_coop)
    options = settings_from_env()
    app = make_app(
        desk=HandoffDesk(database, client, settings.tracker_retention_seconds),
        accounts=ClinicianAccounts(client),
        audit=AuditLog(database, settings.audit_retention_days),
        delivery=MemberDelivery(SmsSender(TwilioSettings.from_env(), OptOuts(client)), content, settings.redis_url),
        content=content,
        timeout_seconds=options["timeout"],
        rules=load_rules(settings.content_dir),
        secure_cookies=options["secure"],
        trust_forwarded=options["trust_forwarded"],
    )
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
