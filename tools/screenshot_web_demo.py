"""Takes docs/web-chat-demo.png: the demo page with a conversation in progress, in headless Chromium.

make run   # in another terminal
.venv/bin/python -m tools.screenshot_web_demo [--url http://127.0.0.1:5005/webhooks/web/demo]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
CONVERSATION = ("allo, c'est quoi vos heures?", "pis pour un rhume, je fais quoi?")


def ask(page: Page, text: str) -> None:
    before = page.locator(".csw-bot").count()
    page.get_by_label("Votre message").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.csw-bot').length > {before}", timeout=60_000)
    page.wait_for_timeout(1500)  # let the typing indicator go


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:5005/webhooks/web/demo")
    parser.add_argument("--out", default=str(ROOT / "docs" / "web-chat-demo.png"))
    args = parser.parse_args()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 760}, locale="fr-CA")
        page.goto(args.url)
        page.get_by_role("button", name="Clavarder avec l'assistant santé").click()
        for text in CONVERSATION:
            ask(page, text)
        page.screenshot(path=args.out)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
