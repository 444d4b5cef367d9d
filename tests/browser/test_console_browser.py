"""Clinician handoff end to end: members by SMS and by web chat, clinicians in the console, in Chromium.

The stack is `make run`'s (tests/stack.py) with a no-answer timeout of 8 seconds. SMS members are
played through the signed webhook and the local Twilio server; web members and clinicians are real
browser pages.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import uuid
from typing import Any

import jwt
import pytest
import redis
from playwright.sync_api import Browser, Page, expect

from bot.handoff.clinicians import ClinicianAccounts
from bot.handoff.desk import HandoffDesk, Ticket, new_ticket_id
from bot.membership.members import Member
from tests.browser import ask, axe_violations, embedding_page
from tests.console_login import log_in_over_http, post_headers
from tests.stack import AUTH_TOKEN, CONSOLE_URL, JWT_SECRET, PORTS, RASA_URL, eligible_members, member_claims
from tools.sms_client import SmsClient

SMS = SmsClient(f"{RASA_URL}/webhooks/sms/webhook", f"http://127.0.0.1:{PORTS['TWILIO_LOCAL_PORT']}", AUTH_TOKEN)
COOP_NUMBER = "+18195550100"
PASSWORD = "mot de passe des tests " + uuid.uuid4().hex[:6]


def stack_redis() -> redis.Redis[str]:
    return redis.Redis(port=PORTS["REDIS_PORT"], decode_responses=True)


BOTH_COOPS = ("val-morin", "hautes-laurentides")


@pytest.fixture(scope="module")
def clinicians(stack: object) -> dict[str, str]:
    accounts = ClinicianAccounts(stack_redis())
    people = {"marie": ("marie@test.coop", "Marie Test", "infirmiere"), "luc": ("luc@test.coop", "Luc Test", "medecin")}
    people["admin"] = ("admin@test.coop", "Admin Test", "admin")
    people["federation"] = ("federation@test.coop", "Fédération Test", "federation")
    people["val_morin"] = ("vm@test.coop", "Nadia Valmorin", "infirmiere")
    for key, (email, name, role) in people.items():
        coops = ("val-morin",) if key == "val_morin" else () if key == "federation" else BOTH_COOPS
        if not accounts.exists(email):
            accounts.create(email, name, role, PASSWORD, coops)
        accounts.set_coops(email, coops)
    return {key: email for key, (email, _, _) in people.items()}


def console(browser: Browser, email: str, bypass_csp: bool = False, home: str = "File d'attente") -> Page:
    """A clinician logged in. `bypass_csp` lets a test inject axe-core past the console's strict CSP."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=bypass_csp).new_page()
    page.goto(CONSOLE_URL)
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=home)).to_be_visible()
    return page


def sms_member_asks_for_a_person(member: Member) -> str:
    """The SMS path to a ticket: ask, consent, date of birth, for whom (by number), since when."""
    SMS.exchange("je veux parler a une infirmiere", member.phone, COOP_NUMBER)
    SMS.exchange("1", member.phone, COOP_NUMBER)  # "Oui" to the consent question, by its number
    question = "\n".join(SMS.exchange(member.birth_date.strftime("%d/%m/%Y"), member.phone, COOP_NUMBER))
    assert "Répondez 1, 2 ou 3" in question
    SMS.exchange("1", member.phone, COOP_NUMBER)
    return "\n".join(SMS.exchange("depuis ce matin", member.phone, COOP_NUMBER))


def wait_sms(phone: str, pattern: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(SMS.sent_to(phone)):
            if re.search(pattern, message["body"]):
                return str(message["body"])
        time.sleep(0.2)
    pytest.fail(f"no SMS matching {pattern!r}: {[m['body'] for m in SMS.sent_to(phone)][-3:]}")


def test_an_sms_member_and_a_clinician(browser: Browser, clinicians: dict[str, str]) -> None:
    marie = console(browser, clinicians["marie"])  # on duty: the queue page is open
    member = eligible_members()[-2]
    opened = sms_member_asks_for_a_person(member)
    assert "infirmière de la coop va vous écrire" in opened

    row = marie.locator("#attente li.ticket", has_text=member.first_name)
    expect(row).to_be_visible(timeout=10_000)  # live, without reloading
    row.get_by_role("button", name="Prendre").click()
    expect(marie.get_by_role("heading", name=re.compile("Dossier"))).to_be_visible()
    expect(marie.locator(".resume")).to_contain_text("depuis ce matin")
    expect(marie.locator(".resume")).to_contain_text(member.last_name)
    expect(marie.locator("#transcription")).to_contain_text("je veux parler a une infirmiere")
    wait_sms(member.phone, "Marie Test .* a pris votre demande")

    marie.get_by_label("Votre réponse au membre").fill("Bonjour, avez-vous de la fièvre?")
    marie.get_by_role("button", name="Envoyer").click()
    assert "avez-vous de la fièvre" in wait_sms(member.phone, "Marie Test \\(infirmière\\): Bonjour")

    before = len(SMS.sent_to(member.phone))
    assert SMS.post("non, pas de fievre", member.phone, COOP_NUMBER) == 200
    expect(marie.locator("#transcription")).to_contain_text("non, pas de fievre", timeout=10_000)
    time.sleep(1)
    assert len(SMS.sent_to(member.phone)) == before  # the bot stays silent during the handoff

    marie.get_by_label("Issue").select_option("resolu")
    marie.get_by_role("button", name="Fermer et rendre la main au bot").click()
    expect(marie.get_by_role("heading", name="File d'attente")).to_be_visible()
    wait_sms(member.phone, "Je suis de retour")
    answer = "\n".join(SMS.exchange("c'est quoi vos heures d'ouverture?", member.phone, COOP_NUMBER))
    assert "lundi" in answer and "fievre" not in answer  # the bot resumes, without replaying the backlog


def test_a_web_member_and_a_clinician(browser: Browser, clinicians: dict[str, str], sites: Any) -> None:
    luc = console(browser, clinicians["luc"])
    web_member = eligible_members()[-3]
    token = jwt.encode(member_claims(web_member.number), JWT_SECRET, algorithm="HS256")
    member = browser.new_context().new_page()
    member.goto(embedding_page(sites, f'data-token="{token}"'))
    member.get_by_role("button", name="Clavarder avec l'assistant santé").click()
    ask(member, "je peux parler a un medecin?")
    ask(member, "oui")
    ask(member, "pour moi")
    assert "infirmière de la coop va vous écrire" in ask(member, "depuis deux jours")

    row = luc.locator("#attente li.ticket", has_text=web_member.first_name)
    expect(row).to_be_visible(timeout=10_000)
    row.get_by_role("button", name="Prendre").click()
    luc.get_by_label("Votre réponse au membre").fill("Bonjour, ici Luc. Toussez-vous du sang?")
    luc.get_by_role("button", name="Envoyer").click()
    log = member.get_by_role("log")
    expect(log).to_contain_text("Toussez-vous du sang?", timeout=10_000)
    expect(log).to_contain_text("Luc Test (médecin)")

    member.get_by_label("Votre message").fill("non, juste une toux seche")
    member.get_by_label("Votre message").press("Enter")
    expect(luc.locator("#transcription")).to_contain_text("juste une toux seche", timeout=10_000)

    luc.get_by_role("button", name="Réserver pour ce membre").click()  # the first slot proposed
    expect(log).to_contain_text("vous a réservé un rendez-vous", timeout=10_000)
    luc.get_by_label("Issue").select_option("consultation")
    luc.get_by_role("button", name="Fermer et rendre la main au bot").click()
    expect(log).to_contain_text("Je suis de retour", timeout=10_000)
    member.reload()  # the clinician's messages are part of the conversation's history
    expect(member.get_by_role("log")).to_contain_text("Toussez-vous du sang?", timeout=10_000)


def test_two_clinicians_claim_at_the_same_moment(
    stack: object, clinicians: dict[str, str], stack_database: Any
) -> None:
    member = eligible_members()[-4]
    sms_member_asks_for_a_person(member)
    ticket = HandoffDesk(stack_database, stack_redis()).open_ticket_of(member.phone)
    assert ticket is not None
    sessions = [_http_session(clinicians["marie"]), _http_session(clinicians["luc"])]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def claim(session: tuple[urllib.request.OpenerDirector, str]) -> None:
        opener, csrf = session
        request = urllib.request.Request(
            f"{CONSOLE_URL}/tickets/{ticket.id}/prendre",
            data=b"",
            headers=post_headers(csrf),
        )
        barrier.wait()
        try:
            statuses.append(opener.open(request, timeout=10).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=claim, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409]


def _http_session(email: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A clinician logged in over plain HTTP: the opener (with the cookie) and the CSRF token."""
    return log_in_over_http(email, PASSWORD)


def test_nobody_answers_then_the_member_cancels(stack: object, stack_database: Any) -> None:
    desk = HandoffDesk(stack_database, stack_redis())
    member = eligible_members()[-5]
    desk.heartbeat("garde@test.coop", ["val-morin"])  # on duty for the coop texted (COOP_NUMBER), never claims
    assert "va vous écrire" in sms_member_asks_for_a_person(member)
    assert "811" in wait_sms(member.phone, "aucune infirmière n'a encore pu", timeout=25)
    ticket = desk.open_ticket_of(member.phone)
    assert ticket is not None and ticket.status == "attente"  # still in the queue
    assert "annulé" in "\n".join(SMS.exchange("ANNULER", member.phone, COOP_NUMBER))
    assert desk.open_ticket_of(member.phone) is None


def test_an_emergency_during_a_handoff_is_answered_and_flagged(
    browser: Browser, clinicians: dict[str, str], stack_database: Any
) -> None:
    member = eligible_members()[-6]
    sms_member_asks_for_a_person(member)
    assert "911" in "\n".join(SMS.exchange("la j'ai mal dans la poitrine ca serre fort", member.phone, COOP_NUMBER))
    ticket = HandoffDesk(stack_database, stack_redis()).open_ticket_of(member.phone)
    assert ticket is not None and ticket.flagged
    marie = console(browser, clinicians["marie"])
    row = marie.locator("#attente li.ticket", has_text=member.first_name)
    expect(row.get_by_text("Message d'urgence reçu")).to_be_visible()
    row.get_by_role("button", name="Prendre").click()
    expect(marie.get_by_role("alert")).to_contain_text("message d'urgence")


def test_the_console_refuses_what_it_should(stack: object, clinicians: dict[str, str]) -> None:
    opener, csrf = _http_session(clinicians["marie"])
    forged = urllib.request.Request(f"{CONSOLE_URL}/tickets/x/prendre", data=b"", headers={"X-CSRF-Token": "faux"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(forged, timeout=10)
    assert refused.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as forbidden:
        opener.open(f"{CONSOLE_URL}/admin/journal", timeout=10)
    assert forbidden.value.code == 403  # a nurse does not read the audit log
    anonymous = urllib.request.urlopen(f"{CONSOLE_URL}/", timeout=10)
    assert anonymous.url.endswith("/connexion")


def test_the_admin_sees_every_access(browser: Browser, clinicians: dict[str, str]) -> None:
    admin = console(browser, clinicians["admin"], home="Journal des accès")  # a coop admin: no queue
    table = admin.get_by_role("table", name="Journal des accès")
    for action in ("console.prise", "console.message", "console.fermeture", "console.consultation", "console.flux"):
        expect(table).to_contain_text(action)
    expect(table).to_contain_text(clinicians["marie"])
    federation = console(browser, clinicians["federation"], home="Journal des accès")
    federation.get_by_label("Type").select_option("securite")
    federation.get_by_role("button", name="Filtrer").click()
    expect(federation.get_by_role("table", name="Journal de sécurité")).to_contain_text("console.connexion")


def test_a_nurse_of_one_coop_sees_nothing_of_another(
    browser: Browser, clinicians: dict[str, str], stack_database: Any
) -> None:
    """Over HTTP in the browser: B's ticket is neither listed, nor opened, streamed, claimed or answered."""
    desk = HandoffDesk(stack_database, stack_redis())

    def waiting_ticket(coop: str) -> Ticket:
        return desk.open(
            Ticket(
                id=new_ticket_id(),
                conversation=f"web-isolation-{uuid.uuid4().hex}",
                channel="web",
                coop=coop,
                disposition="clinicien",
                reasons=["demande"],
                summary={"motif": f"toux depuis trois jours ({coop})"},
                member_name=f"Membre {coop}",
            )
        )

    ours, theirs = waiting_ticket("val-morin"), waiting_ticket("hautes-laurentides")
    nurse = console(browser, clinicians["val_morin"])
    try:
        waiting = nurse.locator("#attente")
        expect(waiting.locator(f'li[data-id="{ours.id}"]')).to_be_visible(timeout=10_000)
        nurse.wait_for_timeout(2_000)  # a tick of the live queue too
        expect(waiting.locator(f'li[data-id="{theirs.id}"]')).to_have_count(0)
        expect(nurse.locator("body")).not_to_contain_text("hautes-laurentides")
        page = nurse.goto(f"{CONSOLE_URL}/tickets/{theirs.id}")
        assert page is not None and page.status == 404
        nurse.goto(CONSOLE_URL)
        statuses = nurse.evaluate(
            """async (id) => {
                const csrf = document.querySelector('meta[name="csrf"]').content;
                const headers = {"X-CSRF-Token": csrf, Accept: "application/json",
                                 "Content-Type": "application/x-www-form-urlencoded"};
                const found = {flux: (await fetch(`/flux/tickets/${id}`)).status};
                for (const [action, body] of [["prendre", ""], ["messages", "texte=Bonjour"]]) {
                    found[action] = (await fetch(`/tickets/${id}/${action}`, {method: "POST", headers, body})).status;
                }
                return found;
            }""",
            theirs.id,
        )
        assert statuses == {"flux": 404, "prendre": 404, "messages": 404}
        still = desk.get(theirs.id)
        assert still is not None and still.status == "attente" and desk.thread(theirs.id)[-1]["type"] == "ouvert"
    finally:
        nurse.context.close()
        for ticket in (ours, theirs):
            desk.close(ticket.id, "annule", "test")


def test_the_console_has_no_axe_violations(browser: Browser, clinicians: dict[str, str]) -> None:
    page = console(browser, clinicians["marie"], bypass_csp=True)
    assert axe_violations(page) == []
    page.goto(f"{CONSOLE_URL}/connexion")
    assert axe_violations(page) == []
    assert json.loads(urllib.request.urlopen(f"{CONSOLE_URL}/sante", timeout=5).read())["status"] == "ok"
