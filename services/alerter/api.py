"""The subscriptions API: teams manage their own subscriptions and read their deliveries.

Every route but ``/v1/health`` needs an API key (``Authorization: Bearer nwk_...``
or ``X-API-Key``). A key belongs to one team and sees only that team: another
team's subscription is simply not found (404), so ids reveal nothing.

Every error has one shape, ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``.
Request bodies are limited in size (413) and lists in length (422 naming the field);
wrong keys lock out the client address and the key id for a while (429 with
Retry-After); while Redis is unreachable every route answers 503 with Retry-After
and the API recovers by itself when Redis is back. Run it with ``newswatch api``;
the OpenAPI document is served at ``/openapi.json`` and committed as
``docs/openapi.json``.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from redis.asyncio import Redis

from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.web import deliveries, feedback, service, subscriptions
from newswatch.alerter.web import metrics as api_metrics
from newswatch.alerter.web.console import console_router
from newswatch.alerter.web.deps import ApiServices
from newswatch.alerter.web.errors import ERROR_RESPONSES, Responses, install_error_handlers
from newswatch.alerter.web.limits import BodyLimit
from newswatch.shared.redis import create_redis

# What any request can meet before it reaches a route.
_REQUEST_ERRORS: Responses = {status: ERROR_RESPONSES[status] for status in (400, 413)}


def create_app(settings: AlerterSettings | None = None, redis: Redis | None = None) -> FastAPI:
    settings = settings or AlerterSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = redis is None
        client = redis or create_redis(settings)
        app.state.services = ApiServices(client, settings)
        async with api_metrics.health_server(client, settings.health_port):
            yield
        if own:
            await client.aclose()

    app = FastAPI(
        title="newswatch subscriptions API",
        version="1.2",
        description=__doc__,
        lifespan=lifespan,
    )
    if redis is not None:  # tests drive the app without running its lifespan
        app.state.services = ApiServices(redis, settings)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    api_metrics.install(app)  # outermost: counts what BodyLimit refuses too
    app.include_router(service.router, responses=_REQUEST_ERRORS)
    for router in (subscriptions.router, deliveries.router):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(feedback.feedback_router(settings), responses=ERROR_RESPONSES)
    app.include_router(console_router(settings))  # the watch-officer console at /
    return app


def main(settings: AlerterSettings | None = None) -> None:
    import uvicorn

    settings = settings or AlerterSettings()
    # JSON logs: uvicorn's loggers go through ours (its own config would print text).
    logging_config: dict[str, Any] = {"log_config": None} if settings.log_format == "json" else {}
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
        # Open consoles hold live streams that never end by themselves: cut them after this.
        timeout_graceful_shutdown=5,
        **logging_config,
    )
