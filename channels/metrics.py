"""GET /webhooks/metrics/ : Prometheus metrics of this Rasa process (bot/metrics.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import cached_property
from typing import Any

import redis
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.metrics import METRICS
from bot.settings import load_settings


class MetricsInput(InputChannel):
    """Not a channel for members: Rasa's channel mechanism is how a route joins its server."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    @cached_property
    def redis(self) -> redis.Redis[str]:
        return redis.Redis.from_url(load_settings().redis_url, decode_responses=True, socket_timeout=2)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        metrics = Blueprint("metrics", __name__)

        @metrics.route("/", methods=["GET"])
        async def exposition(_: Request) -> HTTPResponse:
            try:
                text = METRICS.exposition(self.redis)
            except redis.RedisError:
                text = METRICS.exposition(None)  # the counters still; the queue when Redis is back
            return response.text(text, content_type="text/plain; version=0.0.4; charset=utf-8")

        return metrics
