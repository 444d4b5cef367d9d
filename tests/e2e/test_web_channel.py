"""The web chat's door, with a real Socket.IO client (python-socketio) against `make run`'s stack."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import pytest
import socketio

from channels.web import MAX_MESSAGE_CHARS, allowed_origins
from tests.stack import OTHER_SITE, RASA_URL


class Member:
    """A browser tab, as the widget speaks to the server."""

    def __init__(self, origin: str = OTHER_SITE, auth: dict[str, str] | None = None) -> None:
        self.client = socketio.Client(reconnection=False)
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.sessions: queue.Queue[str] = queue.Queue()
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.sessions.put)
        self.client.connect(RASA_URL, headers={"Origin": origin}, transports=["polling"], auth=auth or {})

    def start(self, session_id: str | None = None) -> str:
        self.client.emit("session_request", {"session_id": session_id, "coop": "val-morin"})
        return self.sessions.get(timeout=10)

    def say(self, text: str) -> str:
        self.client.emit("user_uttered", {"message": text})
        return str(self.replies.get(timeout=15).get("text", ""))

    def close(self) -> None:
        """Close the tab. `client.disconnect()` would wait for the pending long poll to come back with
        the server's next ping (about 30 s per test); the close packet is sent all the same."""
        self.client.eio.disconnect(abort=True)


@pytest.fixture
def member(stack: object) -> Iterator[Member]:
    tab = Member()
    tab.start()
    yield tab
    tab.close()


def test_a_question_is_answered(member: Member) -> None:
    assert "lundi" in member.say("c'est quoi vos heures d'ouverture?")


def test_empty_and_oversize_messages_get_a_clear_answer(member: Member) -> None:
    assert "vide" in member.say("   ")
    assert "trop long" in member.say("mal " * MAX_MESSAGE_CHARS)
    assert "lundi" in member.say("c'est quoi vos heures d'ouverture?")  # the conversation goes on


def test_a_session_id_is_issued_by_the_server(stack: object) -> None:
    tab = Member()
    try:
        assert tab.start("+18195550101").startswith("web-")  # never a phone number...
        first = tab.start()
        assert tab.start(first) == first  # ...but a tab resumes the id it was given
    finally:
        tab.close()


def test_a_flood_is_slowed_down(member: Member) -> None:
    replies = [member.say("allo") for _ in range(45)]  # over 20 a minute, even across a minute boundary
    assert any("beaucoup de messages" in r for r in replies)


def test_a_site_not_allowed_is_refused(stack: object) -> None:
    with pytest.raises(socketio.exceptions.ConnectionError):
        Member(origin="http://site-inconnu.test")


def test_allowed_origins_from_the_environment() -> None:
    assert allowed_origins({"WEB_ALLOWED_ORIGINS": "https://a.example/, https://b.example"}) == [
        "https://a.example",
        "https://b.example",
    ]
    assert allowed_origins({"PUBLIC_BASE_URL": "https://triage.example/base"}) == ["https://triage.example"]
    assert allowed_origins({}) == []


SECRET = "s" * 8 + "0123456789abcdef0123456789abcdef"
SITE = "https://www.coop-val-morin.example"


def signed(**changes: object) -> str:
    import time

    import jwt

    claims: dict[str, object] = {
        "sub": "VM-000101",
        "exp": int(time.time()) + 600,
        "aud": "coopsante-triage",
        "iss": SITE,
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, SECRET, algorithm="HS256")


def test_a_token_for_this_assistant_from_an_allowed_site_vouches() -> None:
    from bot.membership.web_identity import verified_member

    vouched = verified_member(signed(), SECRET, "coopsante-triage", [SITE])
    assert vouched is not None and vouched[0] == "VM-000101"


@pytest.mark.parametrize(
    "changes",
    [{"aud": "another-service"}, {"aud": None}, {"iss": "https://evil.example"}, {"iss": None}],
    ids=["wrong audience", "no audience", "wrong issuer", "no issuer"],
)
def test_a_token_of_another_audience_or_issuer_is_refused(changes: dict[str, object]) -> None:
    """Finding: the web JWT had no audience or issuer check."""
    from bot.membership.web_identity import verified_member

    assert verified_member(signed(**changes), SECRET, "coopsante-triage", [SITE]) is None


def test_the_chat_refuses_a_token_from_another_issuer_with_a_clear_answer(stack: object) -> None:
    """Finding: a token signed with the secret but for no audience, from any issuer, was accepted."""
    import jwt

    from tests.stack import JWT_SECRET, member_claims

    claims = {**member_claims("VM-000101"), "iss": "https://evil.example"}
    del claims["aud"]
    client = socketio.Client(reconnection=False)
    refusals: list[Any] = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(
            RASA_URL,
            headers={"Origin": OTHER_SITE},
            transports=["polling"],
            auth={"token": jwt.encode(claims, JWT_SECRET, algorithm="HS256")},
        )
    assert "Jeton de connexion invalide" in str(refusals)
