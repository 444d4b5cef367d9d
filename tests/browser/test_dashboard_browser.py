"""The managers' dashboard in Chromium, over a seeded demo week (tools/demo_service.py): axe finds no
WCAG 2.1 AA violation, each chart has its table, the CSV link downloads the page's cells, and the
README's screenshot (docs/console-dashboard.png) is taken from it.

The console runs in this process (on a thread of its own) over the tests' real Redis and PostgreSQL;
no Rasa is needed for a page that reads records only.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import socket
import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from playwright.sync_api import Browser, expect, sync_playwright

from bot.booking.availability import QUEBEC, load_rules
from bot.content import Content
from bot.handoff.clinicians import ClinicianAccounts
from bot.handoff.desk import HandoffDesk
from bot.platform.audit import AuditLog
from bot.records.service_report import last_complete_week, report
from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from console.app import make_app
from console.delivery import MemberDelivery
from tests.browser import axe_violations
from tests.conftest import ROOT
from tools.demo_service import COOPS, seed_week

PASSWORD = "mot de passe du tableau"
EMAIL = "gestion@test.coop"
SCREENSHOT = ROOT / "docs" / "console-dashboard.png"


@pytest.fixture
def console_url(redis_url: str, redis_client: Any, database: Any, content: Content) -> Iterator[str]:
    """The console on a free port, serving a seeded demo week."""
    seed_week(database, redis_client, last_complete_week(datetime.now(QUEBEC).date()).start)
    ClinicianAccounts(redis_client).create(EMAIL, "Gestion Test", "gestionnaire", PASSWORD, tuple(COOPS))
    delivery = MemberDelivery(
        SmsSender(TwilioSettings(), OptOuts(redis_client)),
        content,
        redis_url,
        rasa_url="http://127.0.0.1:9",
        rasa_token="",
    )
    app = make_app(
        HandoffDesk(database, redis_client),
        ClinicianAccounts(redis_client),
        AuditLog(database),
        delivery,
        content,
        300,
        load_rules(ROOT / "content"),
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", port).start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert started.wait(20)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(20)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.fixture
def chromium() -> Iterator[Browser]:
    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_dashboard_in_a_browser(console_url: str, chromium: Browser, database: Any) -> None:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    page.goto(console_url)
    page.get_by_label("Courriel").fill(EMAIL)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()

    # Each chart is followed by its table, which is what assistive technology reads.
    charts = page.locator("section.tableau svg.graphique")
    assert charts.count() >= 4
    for i in range(charts.count()):
        assert charts.nth(i).get_attribute("aria-hidden") == "true"
        assert charts.nth(i).locator("xpath=../following-sibling::table").count() == 1
    expect(page.get_by_role("table", name="Conversations et membres servis, par canal")).to_be_visible()
    assert axe_violations(page) == []

    # The CSV link downloads the page's cells.
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    lines = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    total = page.get_by_role("table", name="Conversations et membres servis, par canal").locator("tr", has_text="Total")
    shown = total.locator("td").all_inner_texts()
    assert [line[3] for line in lines if line[:2] == ["Conversations et membres servis, par canal", "Total"]] == shown

    if os.environ.get("DASHBOARD_SCREENSHOT") or not SCREENSHOT.exists():
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The month view and one coop: the figures follow the choice, still without violations.
    page.get_by_label("Période", exact=True).select_option("mois")
    page.get_by_label("Coop", exact=True).select_option("val-morin")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator(".portee")).to_contain_text("val-morin")
    assert axe_violations(page) == []
    context.close()


def test_the_seeded_week_fills_every_table(database: Any, redis_client: Any, content: Content) -> None:
    week = last_complete_week(datetime.now(QUEBEC).date())
    figures = seed_week(database, redis_client, week.start)
    found = report(database, tuple(COOPS), week, 300, lambda t: content.label(t) if t in content.answers else t)
    for table in found.tables:
        assert table.rows, table.key
        print(f"\n## {table.title}")  # the seeded week's figures, for the README and the report
        for label, cells in table.rows:
            print(f"{label}: {' | '.join(cells)}")
    assert figures["tours"] > 500 and figures["relais"] > 40 and figures["rendez_vous"] > 50
    assert dict(found.table("questions").rows)  # consented questions asked 5 times or more
