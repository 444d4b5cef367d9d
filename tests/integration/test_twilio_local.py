"""The local Twilio server, driven by the real `twilio` library as the bot drives Twilio.

The server runs as a subprocess, as in development; status callbacks and webhooks land on a small
receiver in a thread, where their signatures are checked with Twilio's own validator.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.platform.sms_text import segment_count

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "local-test-token"
MEMBER = "+18195550101"
COOP = "+18195550100"
SERVICE_SID = "MG" + "2" * 32
SID = re.compile(r"^SM[0-9a-f]{32}$")


@dataclass(frozen=True)
class Received:
    path: str
    params: dict[str, str]
    signature: str


class Receiver:
    """An HTTP server in a thread that keeps every form POST it gets (callbacks and webhooks)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                params = {name: values[-1] for name, values in parse_qs(raw, keep_blank_values=True).items()}
                receiver.add(Received(self.path, params, self.headers.get("X-Twilio-Signature", "")))
                reply = b"<Response/>"
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, request: Received) -> None:
        with self.changed:
            self.received.append(request)
            self.changed.notify_all()

    def wait_for(self, path: str, count: int, sid: str | None = None, timeout: float = 10.0) -> list[Received]:
        """The first `count` requests to `path` (about message `sid` if given), waiting for them."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                got = [r for r in self.received if r.path == path and sid in (None, r.params.get("MessageSid"))]
                if len(got) >= count:
                    return got[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(got)} of {count} requests to {path} arrived")
                self.changed.wait(remaining)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def server(receiver: Receiver, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The simulator as a real process on a free port; yields its base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("twilio_local") / "server.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "tools.twilio_local", "--port", str(port)]
    command += ["--account-sid", ACCOUNT_SID, "--auth-token", AUTH_TOKEN, "--webhook-url", receiver.url("/webhook")]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"twilio_local exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=1) as response:
                    assert json.load(response) == {"status": "ok"}
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"twilio_local did not answer /health:\n{log_path.read_text()}")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def local(server: str) -> str:
    """The server's base URL, with nothing recorded, no fault and no undeliverable number."""
    control(server, "DELETE", "/_local/messages")
    return server


@pytest.fixture
def client(local: str) -> Client:
    client = Client(ACCOUNT_SID, AUTH_TOKEN)
    client.api.base_url = local
    return client


def control(base: str, method: str, path: str, payload: Any = None) -> Any:
    """Call the JSON control API."""
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(
        base + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def messages_to(base: str, phone: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = control(base, "GET", "/_local/messages?to=" + quote(phone))
    return records


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def valid(url: str, request: Received) -> bool:
    return bool(RequestValidator(AUTH_TOKEN).validate(url, request.params, request.signature))


def test_message_is_accepted_and_recorded(client: Client, local: str) -> None:
    body = "Votre code de vérification est 123456."
    message = client.messages.create(to=MEMBER, from_=COOP, body=body)
    assert SID.match(message.sid)
    assert (message.account_sid, message.to, message.from_, message.body) == (ACCOUNT_SID, MEMBER, COOP, body)
    assert (message.status, message.direction, message.api_version) == ("queued", "outbound-api", "2010-04-01")
    assert message.num_segments == str(segment_count(body))
    assert message.num_media == "0"
    assert message.date_created is not None  # the library parsed it as an RFC 2822 date
    assert message.error_code is None and message.price is None
    assert message.uri == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message.sid}.json"

    [record] = messages_to(local, MEMBER)
    assert record["sid"] == message.sid
    assert (record["to"], record["from"], record["body"]) == (MEMBER, COOP, body)
    assert record["num_segments"] == segment_count(body)


def test_messaging_service_and_long_text(client: Client, local: str) -> None:
    body = "Rappel de la coopérative : " + "votre rendez-vous est confirmé. " * 12
    message = client.messages.create(to=MEMBER, messaging_service_sid=SERVICE_SID, body=body)
    assert message.from_ is None
    assert message.messaging_service_sid == SERVICE_SID
    assert int(message.num_segments) == segment_count(body) > 1


def test_messages_are_listed_in_order_and_by_recipient(client: Client, local: str) -> None:
    other = "+15145550123"
    sids = [
        client.messages.create(to=to, from_=COOP, body=f"message {i}").sid
        for i, to in enumerate([MEMBER, other, MEMBER])
    ]
    assert [m["sid"] for m in control(local, "GET", "/_local/messages")] == sids
    assert [m["sid"] for m in messages_to(local, MEMBER)] == [sids[0], sids[2]]
    # An unencoded "+" (read as a space in a query string) still finds the number.
    assert [m["sid"] for m in control(local, "GET", "/_local/messages?to=" + other)] == [sids[1]]


def test_a_wrong_token_or_account_is_refused(client: Client, local: str) -> None:
    for sid, token in [(ACCOUNT_SID, "wrong-token"), ("AC" + "9" * 32, AUTH_TOKEN)]:
        intruder = Client(sid, token)
        intruder.api.base_url = local
        with pytest.raises(TwilioRestException) as raised:
            intruder.messages.create(to=MEMBER, from_=COOP, body="Bonjour")
        assert raised.value.status == 401
        assert raised.value.code == 20003
    assert messages_to(local, MEMBER) == []


def test_injected_faults_answer_then_clear(client: Client, local: str) -> None:
    control(local, "POST", "/_local/faults", {"status": 429, "count": 2})
    control(local, "POST", "/_local/faults", {"status": 503, "count": 1})
    for status, code in [(429, 20429), (429, 20429), (503, 20500)]:
        with pytest.raises(TwilioRestException) as raised:
            client.messages.create(to=MEMBER, from_=COOP, body="Bonjour")
        assert (raised.value.status, raised.value.code) == (status, code)
    message = client.messages.create(to=MEMBER, from_=COOP, body="Bonjour")
    assert [m["sid"] for m in messages_to(local, MEMBER)] == [message.sid]


def test_status_callbacks_are_signed_and_ordered(client: Client, local: str, receiver: Receiver) -> None:
    path = f"/status/{uuid.uuid4().hex}"
    message = client.messages.create(to=MEMBER, from_=COOP, body="Bonjour", status_callback=receiver.url(path))
    callbacks = receiver.wait_for(path, 2)
    assert [c.params["MessageStatus"] for c in callbacks] == ["sent", "delivered"]
    for callback in callbacks:
        assert valid(receiver.url(path), callback)
        assert callback.params["MessageSid"] == callback.params["SmsSid"] == message.sid
        assert callback.params["SmsStatus"] == callback.params["MessageStatus"]
        assert (callback.params["From"], callback.params["To"]) == (COOP, MEMBER)
        assert (callback.params["AccountSid"], callback.params["ApiVersion"]) == (ACCOUNT_SID, "2010-04-01")
        assert "ErrorCode" not in callback.params
    forged = Received(path, {**callbacks[0].params, "MessageStatus": "delivered"}, callbacks[0].signature)
    assert not valid(receiver.url(path), forged)
    eventually(lambda: messages_to(local, MEMBER)[0]["status"] == "delivered")


def test_undeliverable_numbers_fail_with_30003(client: Client, local: str, receiver: Receiver) -> None:
    control(local, "POST", "/_local/undeliverable", {"numbers": [MEMBER]})
    path = f"/status/{uuid.uuid4().hex}"
    message = client.messages.create(to=MEMBER, from_=COOP, body="Bonjour", status_callback=receiver.url(path))
    callbacks = receiver.wait_for(path, 2)
    assert [c.params["MessageStatus"] for c in callbacks] == ["sent", "undelivered"]
    assert callbacks[1].params["ErrorCode"] == "30003"
    assert all(valid(receiver.url(path), c) for c in callbacks)
    eventually(lambda: messages_to(local, MEMBER)[0]["status"] == "undelivered")
    assert messages_to(local, MEMBER)[0]["error_code"] == 30003
    fetched = client.messages(message.sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_an_unreachable_callback_is_ignored(client: Client, local: str) -> None:
    callback = f"http://127.0.0.1:{free_port()}/status"  # nothing listens there
    client.messages.create(to=MEMBER, from_=COOP, body="Bonjour", status_callback=callback)
    eventually(lambda: messages_to(local, MEMBER)[0]["status"] == "delivered")
    assert control(local, "GET", "/health") == {"status": "ok"}


def test_inbound_text_posts_a_signed_webhook(local: str, receiver: Receiver) -> None:
    body = "J'ai mal à la gorge depuis hier."
    media = ["https://example.org/photo.jpg"]
    result = control(local, "POST", "/_local/inbound", {"from": MEMBER, "to": COOP, "body": body, "media_urls": media})
    assert result["status"] == 200
    assert SID.match(result["message_sid"])
    [webhook] = receiver.wait_for("/webhook", 1, sid=result["message_sid"])
    assert valid(receiver.url("/webhook"), webhook)
    params = webhook.params
    assert params["SmsMessageSid"] == params["SmsSid"] == result["message_sid"]
    assert (params["From"], params["To"], params["Body"]) == (MEMBER, COOP, body)
    assert (params["AccountSid"], params["ApiVersion"], params["SmsStatus"]) == (ACCOUNT_SID, "2010-04-01", "received")
    assert params["NumSegments"] == str(segment_count(body))
    assert (params["NumMedia"], params["MediaUrl0"], params["MediaContentType0"]) == ("1", media[0], "image/jpeg")

    given = "SM" + uuid.uuid4().hex
    assert control(
        local, "POST", "/_local/inbound", {"from": MEMBER, "to": COOP, "body": "Oui", "message_sid": given}
    ) == {
        "status": 200,
        "message_sid": given,
    }
    [webhook] = receiver.wait_for("/webhook", 1, sid=given)
    assert valid(receiver.url("/webhook"), webhook)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"From": COOP, "Body": "Bonjour"}, 21211),
        ({"To": "8195550101", "From": COOP, "Body": "Bonjour"}, 21211),
        ({"To": MEMBER, "Body": "Bonjour"}, 21603),
        ({"To": MEMBER, "From": COOP}, 21602),
        ({"To": MEMBER, "From": COOP, "Body": "x" * 1601}, 21617),
    ],
)
def test_invalid_messages_are_refused(client: Client, local: str, fields: dict[str, str], code: int) -> None:
    url = f"{local}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    response = client.request("POST", url, data=fields)
    assert response.status_code == 400
    assert json.loads(response.text)["code"] == code
    assert control(local, "GET", "/_local/messages") == []


def test_missing_to_raises_through_the_library(client: Client) -> None:
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to="", from_=COOP, body="Bonjour")
    assert (raised.value.status, raised.value.code) == (400, 21211)


def test_bad_control_requests_are_refused(local: str) -> None:
    for path, payload in [("/_local/faults", {"status": 404}), ("/_local/inbound", {"body": "Bonjour"})]:
        with pytest.raises(urllib.error.HTTPError) as raised:
            control(local, "POST", path, payload)
        assert raised.value.code == 400


def test_the_page_is_self_contained_and_french(local: str) -> None:
    with urllib.request.urlopen(local + "/", timeout=5) as response:
        page = response.read().decode()
        assert response.headers.get_content_type() == "text/html"
    assert "Simulateur de texto (local)" in page and "Aucun vrai texto n'est envoyé" in page
    assert 'aria-live="polite"' in page and '<label for="phone">' in page
    assert "/_local/inbound" in page and "/_local/messages?to=" in page
    assert "<script src" not in page and "<link" not in page
