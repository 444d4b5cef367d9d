"""Takes the README's screenshots against a running `make run` (default ports), in headless Chromium.

    make run            # in another terminal
    .venv/bin/python -m tools.screenshots

docs/web-chat-demo.png: the demo page with a conversation in progress.
docs/console-ticket.png: the clinician console with a ticket open (an SMS member asked for a nurse).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from bot.handoff.clinicians import ClinicianAccounts
from bot.membership.demo import demo_registry_csv
from bot.membership.members import parse_registry
from bot.membership.verification import eligibility
from bot.platform.redis_clients import sync_client
from tools.sms_client import SmsClient

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
RASA, CONSOLE, TWILIO = "http://127.0.0.1:5005", "http://127.0.0.1:5020", "http://127.0.0.1:5011"


def ask(page: Page, text: str) -> None:
    before = page.locator(".csw-bot").count()
    page.get_by_label("Votre message").fill(text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('.csw-bot').length > {before}", timeout=60_000)
    page.wait_for_timeout(1500)  # let the typing indicator go


def web_demo(page: Page) -> None:
    page.goto(f"{RASA}/webhooks/web/demo")
    page.get_by_role("button", name="Clavarder avec l'assistant santé").click()
    for text in ("allo, c'est quoi vos heures?", "pis pour un rhume, je fais quoi?"):
        ask(page, text)
    page.screenshot(path=ROOT / "docs" / "web-chat-demo.png")


def console_ticket(page: Page, auth_token: str) -> None:
    client = sync_client()
    accounts = ClinicianAccounts(client)
    email, password = f"capture-{uuid.uuid4().hex[:6]}@demo.coopsante.example", uuid.uuid4().hex
    accounts.create(email, "Marie Gagnon", "infirmiere", password, ("val-morin", "hautes-laurentides"))
    page.goto(CONSOLE)
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()

    # A demo member whose phone has no conversation yet, so the story starts from the beginning.
    member = next(
        m
        for m in parse_registry(demo_registry_csv()).members
        if eligibility(m) == "ok" and not client.exists(f"coopsante:tracker:{m.phone}")
    )
    sms = SmsClient(f"{RASA}/webhooks/sms/webhook", TWILIO, auth_token)
    for text in ("mon fils a mal a l'oreille et fait de la fievre", "1", member.birth_date.strftime("%d/%m/%Y"), "2"):
        sms.exchange(text, member.phone, "+18195550100")
    sms.exchange("depuis hier soir", member.phone, "+18195550100")
    page.locator("#attente li.ticket", has_text=member.first_name).get_by_role("button", name="Prendre").click()
    page.get_by_label("Votre réponse au membre").fill("Bonjour, quel âge a votre fils? A-t-il pris quelque chose?")
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_timeout(800)
    sms.post("il a 4 ans, je lui ai donne du tylenol a 7h", member.phone, "+18195550100")
    page.wait_for_timeout(2000)
    page.screenshot(path=ROOT / "docs" / "console-ticket.png", full_page=True)


def main() -> None:
    auth_token = os.environ.get("TWILIO_AUTH_TOKEN", "")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        web_demo(browser.new_page(viewport={"width": 1100, "height": 760}, locale="fr-CA"))
        if auth_token:
            console_ticket(browser.new_page(viewport={"width": 1200, "height": 900}, locale="fr-CA"), auth_token)
        else:
            print("TWILIO_AUTH_TOKEN (the one make run used) is needed for the console screenshot")
        browser.close()
    print("wrote docs/*.png")


if __name__ == "__main__":
    main()
