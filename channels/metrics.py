"""GET /webhooks/metrics/ : Prometheus metrics of this Rasa process (bot/metrics.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

import redis
import sqlalchemy.exc
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff.desk import HandoffDesk
from bot.metrics import METRICS
from bot.platform.redis_clients import sync_client
from bot.platform.settings import load_settings
from bot.records.database import shared_engine


class MetricsInput(InputChannel):
    """Not a channel for members: Rasa's channel mechanism is how a route joins its server."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    @cached_property
    def desk(self) -> HandoffDesk:
        settings = load_settings()
        client = sync_client(settings.redis_url, socket_timeout=2)
        return HandoffDesk(shared_engine(settings.database_url), client)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        metrics = Blueprint("metrics", __name__)

        @metrics.route("/", methods=["GET"])
        async def exposition(_: Request) -> HTTPResponse:
            try:
                text = await asyncio.to_thread(METRICS.exposition, self.desk)  # PostgreSQL and Redis
            except (redis.RedisError, sqlalchemy.exc.SQLAlchemyError):
                text = METRICS.exposition(None)  # the counters still; the queue when the stores are back
            return response.text(text, content_type="text/plain; version=0.0.4; charset=utf-8")

        return metrics
