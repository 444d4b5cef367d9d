"""The web chat in a real browser: Debian's Chromium, driven by Playwright, against `make run`'s stack.

The widget is served by the bot (/webhooks/web/widget.js) and embedded in the demo page, or in pages
of other sites: small static servers on other loopback ports, so other origins for the browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from playwright.sync_api import Browser, Page, expect

from bot.membership.demo import CALLER, demo_registry_csv
from tests.browser import DEMO, OPEN_CHAT, ask, axe_violations, embedding_page, open_chat
from tests.stack import JWT_SECRET, PORTS, UNKNOWN_SITE_PORT, member_claims

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-CA")
    page = context.new_page()
    yield page
    context.close()


def test_faq_emergency_and_history_after_reload(page: Page) -> None:
    open_chat(page)
    expect(page.get_by_text("Urgence:")).to_be_visible()
    assert "lundi" in ask(page, "c'est quoi vos heures d'ouverture?")
    assert "911" in ask(page, "j'ai mal à la poitrine, ça serre")
    page.reload()
    log = page.get_by_role("log")
    expect(log).to_contain_text("heures d'ouverture", timeout=10_000)
    expect(log).to_contain_text("911")
    expect(page.get_by_label("Votre message")).to_be_visible()  # the panel stayed open
    assert "pourquoi" not in log.inner_text()
    assert "poitrine" in ask(page, "pourquoi?")  # the same conversation goes on


def test_a_new_tab_starts_afresh_by_default_and_resumes_with_local_storage(browser: Browser, sites: Path) -> None:
    context = browser.new_context()
    first = context.new_page()
    open_chat(first)
    ask(first, "bonjour")
    second = context.new_page()  # session storage is per tab (shared computers): a new conversation
    open_chat(second)
    second.wait_for_timeout(1500)
    assert second.locator(".csw-msg").count() == 0

    third = context.new_page()
    open_chat(third, embedding_page(sites, 'data-storage="local"'))
    ask(third, "bonjour")
    fourth = context.new_page()  # local storage is per site: the same conversation
    fourth.goto(embedding_page(sites, 'data-storage="local"'))
    expect(fourth.get_by_role("log")).to_contain_text("bonjour", timeout=10_000)
    context.close()


def test_zero_axe_violations_closed_open_and_in_conversation(page: Page) -> None:
    page.goto(DEMO)
    assert axe_violations(page) == []
    page.get_by_role("button", name=OPEN_CHAT).click()
    assert axe_violations(page) == []
    ask(page, "je voudrais un rendez-vous avec un médecin")  # the consent question, with buttons
    expect(page.locator(".csw-reply").first).to_be_visible()
    assert axe_violations(page) == []


def test_keyboard_only_from_opening_to_closing(page: Page) -> None:
    page.goto(DEMO)
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == OPEN_CHAT:
            break
    else:
        pytest.fail("the chat button cannot be reached with Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "csw-input"  # focus goes to the message box
    page.keyboard.type("je voudrais un rendez-vous avec un médecin")
    page.keyboard.press("Enter")
    reply = page.locator(".csw-reply").first
    expect(reply).to_be_visible(timeout=15_000)
    # Shift+Tab from the message box reaches the quick replies; Enter picks one.
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('csw-reply')"):
            break
    else:
        pytest.fail("the quick replies cannot be reached with the keyboard")
    focused = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert focused != "none", "keyboard focus must be visible"
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelectorAll('.csw-user').length >= 2")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert page.evaluate("document.activeElement.textContent") == OPEN_CHAT


def test_new_messages_are_announced_by_a_live_region(page: Page) -> None:
    open_chat(page)
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    ask(page, "bonjour")
    assert log.locator(".csw-bot").count() >= 1


@pytest.mark.parametrize(("width", "height"), [(320, 640), (640, 400)])  # a phone; a 1280 px screen at 200 %
def test_the_panel_fits_small_screens_and_large_zoom(browser: Browser, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    open_chat(page)
    ask(page, "quels services vous offrez a la coop?")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "no horizontal scrolling"
    box = page.get_by_role("dialog").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    expect(page.get_by_role("button", name="Envoyer")).to_be_in_viewport()
    expect(page.get_by_text("Urgence:")).to_be_in_viewport()
    context.close()


def test_an_allowed_coop_site_gets_its_own_coop(page: Page, sites: Path) -> None:
    open_chat(page, embedding_page(sites))
    assert "lundi au vendredi de 8 h à 17 h" in ask(page, "c'est quoi vos heures d'ouverture?")


def test_a_site_not_on_the_allow_list_cannot_chat(page: Page, sites: Path) -> None:
    open_chat(page, embedding_page(sites, site=f"http://127.0.0.1:{UNKNOWN_SITE_PORT}"))
    expect(page.get_by_role("status")).to_contain_text("indisponible", timeout=10_000)


def demo_member_number() -> str:
    """An eligible demo member whom the other end-to-end tests leave alone (CALLER is the phone line's)."""
    from bot.membership.members import parse_registry
    from bot.membership.verification import eligibility

    members = parse_registry(demo_registry_csv()).members
    return [m for m in members if eligibility(m) == "ok" and m.number != CALLER[0]][-1].number


def test_a_member_logged_in_on_the_coop_site_is_not_asked_to_identify(page: Page, sites: Path) -> None:
    token = jwt.encode(member_claims(demo_member_number()), JWT_SECRET, algorithm="HS256")
    open_chat(page, embedding_page(sites, f'data-token="{token}"'))
    assert "Acceptez-vous" in ask(page, "je voudrais un rendez-vous avec un médecin")
    after_consent = ask(page, "oui")
    assert "numéro de membre" not in after_consent and "date de naissance" not in after_consent
    assert "pour vous" in after_consent  # straight to the summary: for whom?


def test_a_forged_token_is_refused(page: Page, sites: Path) -> None:
    token = jwt.encode(member_claims(demo_member_number()), "not-the-secret")
    open_chat(page, embedding_page(sites, f'data-token="{token}"'))
    expect(page.get_by_role("status")).to_contain_text("indisponible", timeout=10_000)


def test_a_message_pushed_from_another_process_reaches_the_browser(page: Page) -> None:
    """What a clinician's reply or a reminder does: another process emits through the shared Redis manager."""
    import subprocess
    import sys

    open_chat(page)
    ask(page, "bonjour")
    session = page.evaluate("JSON.parse(sessionStorage.getItem('coopsante-chat')).session")
    push = (
        "import asyncio, socketio, sys\n"
        "manager = socketio.AsyncRedisManager(sys.argv[1], channel='coopsante-socketio', write_only=True)\n"
        "asyncio.run(manager.emit('bot_uttered', {'text': sys.argv[3]}, room=sys.argv[2]))\n"
    )
    url = f"redis://127.0.0.1:{PORTS['REDIS_PORT']}/0"
    text = "Message de l'infirmière: je vous rappelle."
    subprocess.run([sys.executable, "-c", push, url, session, text], check=True, timeout=30)
    expect(page.get_by_role("log")).to_contain_text(text, timeout=10_000)


def test_a_web_member_wanders_in_a_form_and_leaves_it(page: Page, sites: Path) -> None:
    # Issue 15 in the widget: a question in the middle of the booking form is answered and the form
    # asked again; "annuler" leaves it; "mes rendez-vous" then lets go after the list.
    token = jwt.encode(member_claims(demo_member_number()), JWT_SECRET, algorithm="HS256")
    open_chat(page, embedding_page(sites, f'data-token="{token}"'))
    ask(page, "je voudrais un rendez-vous avec un médecin")
    assert "pour vous" in ask(page, "oui")
    digression = ask(page, "c'est quoi votre adresse?")
    assert "La coop est au" in digression and "pour vous" in digression
    assert "on arrête là" in ask(page, "annuler")
    listing = ask(page, "mes rendez-vous")
    assert "rendez-vous" in listing
    assert "lundi" in ask(page, "c'est quoi vos heures?")


def test_a_web_member_books_and_downloads_the_calendar_file(page: Page, sites: Path) -> None:
    token = jwt.encode(member_claims(demo_member_number()), JWT_SECRET, algorithm="HS256")
    open_chat(page, embedding_page(sites, f'data-token="{token}"'))
    ask(page, "je voudrais un rendez-vous avec un médecin")
    ask(page, "oui")
    ask(page, "pour moi")
    assert "Comment préférez-vous consulter?" in ask(page, "depuis une semaine")
    ask(page, "vidéo")
    assert "plages libres" in ask(page, "la semaine prochaine")
    before = page.locator(".csw-bot").count()
    page.locator(".csw-reply").first.click()  # the first slot offered
    page.wait_for_function(f"document.querySelectorAll('.csw-bot').length > {before + 1}", timeout=30_000)
    replies = " ".join(page.locator(".csw-bot .csw-text").all_inner_texts()[before:])
    assert "C'est réservé" in replies
    link = re.search(r"https?://\S+\.ics\?cle=\w+", replies)
    assert link, replies
    calendar = page.request.get(link.group(0))
    assert calendar.status == 200 and "BEGIN:VEVENT" in calendar.text()
    assert page.request.get(link.group(0).replace("cle=", "cle=0")).status == 404
