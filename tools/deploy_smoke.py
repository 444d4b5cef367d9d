"""Smoke test of a deployed stack, through its nginx only (`make test-deploy`, deploy/test_deploy.sh).

    python -m tools.deploy_smoke members-csv > members.csv          # the registry the test imports
    python -m tools.deploy_smoke first --state STATE.json           # every path once, and a booking
    python -m tools.deploy_smoke again --state STATE.json           # after a restart: still answers, booking kept

Settings come from the environment of the test (its throwaway env file): BOT_URL (nginx as Twilio
and the widget reach it, which is also PUBLIC_BASE_URL), CONSOLE_URL (nginx under the console's
name), TWILIO_URL (the local Twilio-compatible server, to read what the bot sent), TWILIO_AUTH_TOKEN
(to sign webhooks as Twilio does), WEB_ORIGIN (an allowed site), CONSOLE_EMAIL and CONSOLE_PASSWORD.

Each check prints one line; the first that fails stops the run with exit code 1.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import queue
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import socketio

from bot.membership.demo import demo_registry_csv
from bot.membership.members import Member, parse_registry
from bot.membership.verification import eligibility
from bot.platform.text import normalise
from tools.sms_client import SmsClient

VAL_MORIN = "+18195550100"  # the coop's number in content/coops.yml
WAIT_SECONDS = 30.0


class SmokeFailure(Exception):
    """A check did not hold."""


def check(label: str, condition: bool, detail: str = "") -> None:
    if not condition:
        raise SmokeFailure(f"{label}: {detail}" if detail else label)
    print(f"  ok  {label}", flush=True)


def http_status(url: str, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def bookable_member() -> Member:
    """A demo member who may use telemedicine, alone on their phone (the registry the test imports)."""
    members = parse_registry(demo_registry_csv()).members
    phones = Counter(m.phone for m in members)
    return [m for m in members if eligibility(m) == "ok" and phones[m.phone] == 1][2]


class Sms:
    """A member's phone, texting the coop through nginx; replies read from the local Twilio server."""

    def __init__(self, env: dict[str, str]) -> None:
        self.client = SmsClient(env["BOT_URL"] + "/webhooks/sms/webhook", env["TWILIO_URL"], env["TWILIO_AUTH_TOKEN"])

    def say(self, text: str, phone: str) -> str:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:  # nginx answers 502 while a restarted Rasa loads its model
            try:
                return normalise("\n".join(self.client.exchange(text, phone, VAL_MORIN, quiet=1.5)))
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2)


class WebChat:
    """A browser tab on a coop's site, as the widget talks to the bot: Socket.IO over long-polling."""

    def __init__(self, env: dict[str, str]) -> None:
        self.client = socketio.Client(reconnection=False)
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.sessions: queue.Queue[str] = queue.Queue()
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.sessions.put)
        self.client.connect(env["BOT_URL"], headers={"Origin": env["WEB_ORIGIN"]}, transports=["polling"])

    def start(self) -> str:
        self.client.emit("session_request", {"session_id": None, "coop": "val-morin"})
        return self.sessions.get(timeout=WAIT_SECONDS)

    def say(self, text: str) -> str:
        self.client.emit("user_uttered", {"message": text})
        return normalise(str(self.replies.get(timeout=WAIT_SECONDS).get("text", "")))

    def close(self) -> None:
        self.client.disconnect()


def check_front(env: dict[str, str]) -> None:
    status, body = http_status(env["BOT_URL"] + "/webhooks/sms/")
    check("nginx passes the SMS channel's health check to Rasa", status == 200 and '"ok"' in body, f"{status}")
    status, _ = http_status(env["BOT_URL"] + "/status")
    check("Rasa's HTTP API is not published (404 through nginx)", status == 404, f"{status}")
    status, body = http_status(env["BOT_URL"] + "/webhooks/web/widget.js")
    check("the web chat widget is served", status == 200 and len(body) > 1000, f"{status}, {len(body)} bytes")


def check_sms(env: dict[str, str]) -> None:
    sms = Sms(env)
    phone = "+18735559017"
    forged = sms.client.post_raw({"From": phone, "To": VAL_MORIN, "Body": "allo", "MessageSid": "SMforged"}, "bad")
    check("a webhook with a forged signature is refused", forged == 403, f"{forged}")
    reply = sms.say("c'est quoi vos heures d'ouverture?", phone)
    check("an SMS signed with the Twilio auth token is answered by SMS", "lundi" in reply, reply[:120])


def check_web_chat(env: dict[str, str]) -> None:
    tab = WebChat(env)
    try:
        session = tab.start()
        check("the web chat opens a Socket.IO session", session.startswith("web-"), session)
        reply = tab.say("c'est quoi vos heures d'ouverture?")
        check("the web chat answers a question", "lundi" in reply, reply[:120])
    finally:
        tab.close()


def check_console(env: dict[str, str]) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # As a browser does: the login form's CSRF token (bound to a cookie), then a POST from the console's origin.
    with opener.open(env["CONSOLE_URL"] + "/connexion", timeout=30) as response:
        found = re.search(r'name="csrf" value="([^"]+)"', response.read().decode("utf-8", "replace"))
    fields = {
        "courriel": env["CONSOLE_EMAIL"],
        "mot_de_passe": env["CONSOLE_PASSWORD"],
        "csrf": found[1] if found else "",
    }
    origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(env["CONSOLE_URL"]))
    login = urllib.request.Request(
        env["CONSOLE_URL"] + "/connexion", data=urllib.parse.urlencode(fields).encode(), headers={"Origin": origin}
    )
    with opener.open(login, timeout=30) as response:
        page = response.read().decode("utf-8", "replace")
        landed = response.url
    check("the console signs a clinician in", "/connexion" not in landed and len(jar) > 0, landed)
    check("the console shows its queue to a signed-in clinician", "<html" in page.lower(), page[:80])


def book(env: dict[str, str], member: Member) -> str:
    """A telemedicine booking by SMS, from the consent notice to the confirmation; the confirmation."""
    sms = Sms(env)
    phone = member.phone
    steps: list[tuple[str, Callable[[str], bool]]] = [
        ("je voudrais un rendez-vous pour une verrue", lambda r: "oui" in r),
        ("oui", lambda r: bool(r)),
        (member.birth_date.strftime("%d/%m/%Y"), lambda r: "pour moi" in r),
        ("1", lambda r: "depuis" in r),
        ("depuis 2 mois", lambda r: bool(r)),
        ("1", lambda r: bool(r)),
        ("n'importe quand cette semaine ou la semaine prochaine", lambda r: "1 ." in r),
        ("1", lambda r: "c est reserve" in r),
    ]
    reply = ""
    for text, expected in steps:
        reply = sms.say(text, phone)
        if not expected(reply):
            raise SmokeFailure(f"booking by SMS: after {text!r} the bot said {reply[:300]!r}")
    check("a member books a teleconsultation by SMS", True)
    return reply


def check_booking_kept(env: dict[str, str], phone: str, label: str) -> None:
    listing = Sms(env).say("mes rendez-vous", phone)
    kept = "aucun rendez vous" not in listing and any(ch.isdigit() for ch in listing)
    check(label, kept, listing[:200] or "no reply")


def first(env: dict[str, str], state: Path) -> None:
    check_front(env)
    check_sms(env)
    check_web_chat(env)
    check_console(env)
    member = bookable_member()
    book(env, member)
    check_booking_kept(env, member.phone, "the booking is listed by 'mes rendez-vous'")
    state.write_text(json.dumps({"phone": member.phone}), encoding="utf-8")


def again(env: dict[str, str], state: Path) -> None:
    phone = json.loads(state.read_text(encoding="utf-8"))["phone"]
    check_booking_kept(env, phone, "the booking made before is still there (SMS through nginx)")
    check_web_chat(env)
    check_console(env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("members-csv", help="print the demo registry the test imports")
    for name in ("first", "again"):
        command = commands.add_parser(name)
        command.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "members-csv":
        sys.stdout.buffer.write(demo_registry_csv())
        return 0
    env = dict(os.environ)
    try:
        first(env, args.state) if args.command == "first" else again(env, args.state)
    except (SmokeFailure, OSError, queue.Empty, socketio.exceptions.ConnectionError) as error:
        print(f"  FAIL {type(error).__name__}: {error}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
