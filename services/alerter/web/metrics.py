"""`newswatch api`'s Prometheus metrics: requests by route template and status, and their
duration; ``/metrics`` on the API's own port (and on NEWSWATCH_HEALTH_PORT with /healthz
and /readyz, like every service)."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram
from redis.asyncio import Redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newswatch.shared.health import Health, exposition

REQUESTS = Counter(
    "newswatch_api_requests_total",
    "HTTP requests by method, route template (/v1/subscriptions/{subscription_id}) and status.",
    ["method", "route", "status"],
)
SECONDS = Histogram(
    "newswatch_api_request_duration_seconds",
    "Time to answer a request (to its last byte: a console stream counts while it is open).",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60),
)
UNMATCHED = "(unmatched)"  # no route: one label value, whatever path a scanner tries


class RequestMetrics:
    """Pure ASGI middleware (no response buffering, so streams stay streams)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED
            method = scope.get("method", "")
            REQUESTS.labels(method, route, str(status)).inc()
            SECONDS.labels(method, route).observe(time.perf_counter() - started)


async def metrics_endpoint() -> Response:
    return Response(exposition("api"), media_type=CONTENT_TYPE_LATEST)


def install(app: FastAPI) -> None:
    app.add_middleware(RequestMetrics)
    app.add_api_route("/metrics", metrics_endpoint, include_in_schema=False)


@asynccontextmanager
async def health_server(redis: Redis, port: int) -> AsyncIterator[None]:
    """/healthz, /readyz (Redis answers) and /metrics on ``port`` while the API runs."""
    health = Health("api")

    async def ping() -> None:
        async with asyncio.timeout(2.0):
            await redis.ping()

    health.probe("redis", ping)
    async with health.serve(port):
        yield
