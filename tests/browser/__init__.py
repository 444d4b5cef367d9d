"""Shared by the browser tier (tests/browser/): Debian's Chromium settings, the widget's helpers, axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.stack import OTHER_SITE, RASA_URL

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
DEMO = f"{RASA_URL}/webhooks/web/demo"
CHROMIUM = "/usr/bin/chromium"
# Chromium on a machine without network: no background connections, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPEN_CHAT = "Clavarder avec l'assistant santé"


def open_chat(page: Page, url: str = DEMO) -> None:
    page.goto(url)
    page.get_by_role("button", name=OPEN_CHAT).click()
    expect(page.get_by_role("dialog", name="Assistant de votre coop santé")).to_be_visible()


def ask(page: Page, text: str) -> str:
    """Type a message, send it with Enter, and return the bot's reply (all its messages)."""
    before = page.locator(".csw-bot").count()
    page.get_by_label("Votre message").fill(text)
    page.get_by_label("Votre message").press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.csw-bot').length > {before}", timeout=30_000)
    page.wait_for_timeout(700)  # a turn can hold several messages
    return "\n".join(page.locator(".csw-bot .csw-text").all_inner_texts()[before:])


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [
        {"id": v["id"], "nodes": [(n["target"], n.get("failureSummary", "")) for n in v["nodes"]]}
        for v in result["violations"]
    ]


def embedding_page(sites: Path, extra: str = "", site: str = OTHER_SITE) -> str:
    """A page of another coop site that embeds the widget with the given attributes; its address."""
    import hashlib

    html = (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Coop</title></head>'
        f'<body><main><h1>Coop</h1></main><script src="{RASA_URL}/webhooks/web/widget.js" '
        f'data-coop="hautes-laurentides" {extra}></script></body></html>'
    )
    name = hashlib.sha256(html.encode()).hexdigest()[:12] + ".html"
    (sites / name).write_text(html, encoding="utf-8")
    return f"{site}/{name}"
