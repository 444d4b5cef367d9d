"""The console's handlers wait on a slow Redis without blocking their event loop: while a queue page
waits on Redis for more than a second, the loop keeps ticking and another request is answered at once.

The handlers' `redis.asyncio` client reaches the real Redis through a proxy that holds every reply
for DELAY seconds; the stores used in threads (PostgreSQL, the blocking client) go direct."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.booking.availability import load_rules
from bot.content import Content
from bot.handoff.clinicians import ClinicianAccounts
from bot.handoff.desk import HandoffDesk
from bot.platform.audit import AuditLog
from bot.platform.redis_clients import async_client
from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from console.app import make_app
from console.auth import COOKIE
from console.delivery import MemberDelivery
from console.shared import LIVE as LIVE_KEY
from tests.conftest import ROOT

DELAY = 0.4  # seconds each Redis reply is held by the proxy


class SlowProxy:
    """A TCP proxy to Redis, in its own thread and loop, that delays every reply by `delay` seconds."""

    def __init__(self, target: tuple[str, int], delay: float) -> None:
        self.target, self.delay = target, delay
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SlowProxy:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()
        server.close()
        self.loop.run_until_complete(_cancel_others())
        self.loop.close()

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        redis_in, redis_out = await asyncio.open_connection(*self.target)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, delay: float) -> None:
            while data := await source.read(65536):
                await asyncio.sleep(delay)
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(
            pipe(client_in, redis_out, 0), pipe(redis_in, client_out, self.delay), return_exceptions=True
        )


async def _cancel_others() -> None:
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


@pytest.fixture
def slow_redis_url(redis_url: str) -> Iterator[str]:
    host, port = redis_url.removeprefix("redis://").split("/")[0].split(":")
    with SlowProxy((host, int(port)), DELAY) as proxy:
        yield f"redis://127.0.0.1:{proxy.port}/0"


class Ticker:
    """Measures the event loop's longest stall: a task that wakes every 20 ms."""

    def __init__(self) -> None:
        self.gaps: list[float] = [0.0]
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Ticker:
        self._task = asyncio.create_task(self._tick())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _tick(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            self.gaps.append(now - last)
            last = now


def test_a_slow_redis_does_not_stall_the_sms_webhook(slow_redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook's dedupe and the member's turn (opt-out, numbered choices) wait on Redis; the loop does not."""
    from rasa.core.channels.channel import UserMessage
    from twilio.request_validator import RequestValidator

    from channels import resources
    from channels.sms import SmsInput

    twilio = TwilioSettings("AC" + "0" * 32, "a" * 32, "+15145550000", public_base_url="https://coop.example")
    form = {"MessageSid": "SM" + uuid.uuid4().hex, "From": "+18195550199", "To": "+15145550000", "Body": "allo"}
    signature = RequestValidator(twilio.auth_token).compute_signature(f"{twilio.public_base_url}/webhook", form)
    request = SimpleNamespace(
        body=urllib.parse.urlencode(form).encode(),
        headers={"X-Twilio-Signature": signature},
        path="/webhook",
        query_string="",
    )
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    async def scenario() -> None:
        live = async_client(slow_redis_url)
        monkeypatch.setattr(resources, "live_redis", lambda: live)
        channel = SmsInput(twilio)
        routes = channel.blueprint(on_new_message)._future_routes
        webhook: Any = next(r.handler for r in routes if r.uri == "/webhook")
        assert channel.content.coops and channel.texts  # loaded once per process, before the first message
        try:
            async with Ticker() as ticker:
                started = time.monotonic()
                answer = await webhook(request)
                answered = time.monotonic() - started
                await asyncio.gather(*channel._tasks)  # the member's turn, after the answer
            assert answer.status == 200 and answered >= DELAY  # the dedupe waited on the proxy
            assert [m.text for m in received] == ["allo"]
            assert max(ticker.gaps) < DELAY / 2, f"the event loop stalled for {max(ticker.gaps):.2f} s"
        finally:
            await live.close()

    asyncio.run(scenario())


def test_a_slow_redis_does_not_stall_the_console(
    redis_url: str, slow_redis_url: str, redis_client: Any, database: Any, content: Content
) -> None:
    accounts = ClinicianAccounts(redis_client)
    nurse = accounts.create("inf@test.coop", "Inf Test", "infirmiere", "un mot de passe long", ("val-morin",))
    session = accounts.open_session(nurse)

    async def scenario() -> None:
        app = make_app(
            desk=HandoffDesk(database, redis_client),
            accounts=accounts,
            audit=AuditLog(database),
            delivery=MemberDelivery(SmsSender(TwilioSettings(), OptOuts(redis_client)), content, redis_url),
            content=content,
            timeout_seconds=300,
            rules=load_rules(ROOT / "content"),
            live=async_client(slow_redis_url),
        )
        client = TestClient(TestServer(app), cookies={COOKIE: session.token})
        await client.start_server()
        gaps: list[float] = []
        done = asyncio.Event()

        async def ticker() -> None:
            last = time.monotonic()
            while not done.is_set():
                await asyncio.sleep(0.02)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        async def queue_page() -> tuple[int, float]:
            started = time.monotonic()
            answer = await client.get("/", allow_redirects=False)
            await answer.read()
            return answer.status, time.monotonic() - started

        async def health_meanwhile() -> float:
            await asyncio.sleep(DELAY)  # the queue page is waiting on Redis by now
            started = time.monotonic()
            answer = await client.get("/sante")
            assert answer.status == 200
            return time.monotonic() - started

        try:
            ticking = asyncio.create_task(ticker())
            (status, slow), quick = await asyncio.gather(queue_page(), health_meanwhile())
            done.set()
            await ticking
        finally:
            await app[LIVE_KEY].close()
            await client.close()
        assert status == 200
        assert slow >= 2 * DELAY  # the session check and the queue's round trip each waited on the proxy
        assert quick < DELAY, "a request was held up behind another one's Redis wait"
        assert max(gaps) < DELAY / 2, f"the event loop stalled for {max(gaps):.2f} s"

    asyncio.run(scenario())
