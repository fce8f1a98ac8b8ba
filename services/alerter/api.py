"""The subscriptions API: teams manage their own subscriptions and read their deliveries.

Every route but ``/v1/health`` needs an API key (``Authorization: Bearer nwk_...``
or ``X-API-Key``). A key belongs to one team and sees only that team: another
team's subscription is simply not found (404), so ids reveal nothing.
Run it with ``newswatch api``; the OpenAPI document is served at
``/openapi.json`` and committed as ``docs/openapi.json``.
"""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field, ValidationError
from redis.asyncio import Redis

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.keys import ApiKey, ApiKeyStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.story_store import StoryStore
from newswatch.alerter.subscriptions import (
    SECRET_MASK,
    SubscriptionStore,
    check_subscription,
    known_tags,
    masked,
)
from newswatch.shared.contracts import Delivery, Story, Subscription
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.redis import create_redis


class SubscriptionRequest(Subscription):
    """A subscription as a client sends it: the server fills in team, id and times."""

    id: str | None = Field(  # type: ignore[assignment]
        default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Generated when absent."
    )
    team: str | None = Field(  # type: ignore[assignment]
        default=None, description="Must be the key's team when given."
    )


class Services:
    def __init__(self, redis: Redis, settings: AlerterSettings) -> None:
        prefix = settings.redis_prefix
        self.redis = redis
        self.keys = ApiKeyStore(redis, prefix)
        self.subscriptions = SubscriptionStore(redis, prefix)
        self.ledger = DeliveryLedger(redis, prefix)
        self.stories = StoryStore(redis, prefix)
        self.policy = AddressPolicy.from_setting(settings.allowed_networks)
        self.tags = known_tags()


_bearer = HTTPBearer(auto_error=False)
_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def services(request: Request) -> Services:
    return request.app.state.services


async def caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    key = bearer.credentials if bearer else header
    record = await services(request).keys.authenticate(key) if key else None
    if record is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing, unknown or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return record


Caller = Annotated[ApiKey, Depends(caller)]
Deps = Annotated[Services, Depends(services)]


def _keep_secrets(new: Subscription, old: Subscription | None) -> None:
    """A client that echoes back a masked secret means 'unchanged'."""
    old_secrets = {c.key: c.options.get("secret") for c in old.channels} if old else {}
    for channel in new.channels:
        if channel.options.get("secret") == SECRET_MASK:
            kept = old_secrets.get(channel.key)
            if kept is None:
                raise HTTPException(422, f"no stored secret to keep for {channel.kind} channel")
            channel.options["secret"] = kept


async def _save(deps: Services, sub: Subscription, old: Subscription | None) -> Subscription:
    _keep_secrets(sub, old)
    try:
        await check_subscription(sub, deps.policy, deps.tags)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    await deps.subscriptions.save(sub)
    return masked(sub)


def _build(
    fields: dict[str, Any], team: str, sub_id: str, old: Subscription | None
) -> Subscription:
    if fields.get("team") not in (None, team):
        raise HTTPException(403, "a key can only manage its own team's subscriptions")
    fields.update(
        id=sub_id,
        team=team,
        created_at=old.created_at if old else utc_now(),
        updated_at=utc_now(),
    )
    try:
        return Subscription.model_validate(fields)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_context=False)) from exc


def create_app(settings: AlerterSettings | None = None, redis: Redis | None = None) -> FastAPI:
    settings = settings or AlerterSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = redis is None
        client = redis or create_redis(settings)
        app.state.services = Services(client, settings)
        yield
        if own:
            await client.aclose()

    app = FastAPI(
        title="newswatch subscriptions API",
        version="1.1",
        description=__doc__,
        lifespan=lifespan,
    )
    if redis is not None:  # tests drive the app without running its lifespan
        app.state.services = Services(redis, settings)

    @app.get("/v1/health", tags=["service"])
    async def health(deps: Deps) -> dict[str, str]:
        await deps.redis.ping()
        return {"status": "ok"}

    @app.get("/v1/me", tags=["service"])
    async def me(key: Caller) -> ApiKey:
        return key

    @app.get("/v1/subscriptions", tags=["subscriptions"])
    async def list_subscriptions(key: Caller, deps: Deps) -> list[Subscription]:
        return [masked(s) for s in await deps.subscriptions.all(team=key.team)]

    @app.post("/v1/subscriptions", status_code=201, tags=["subscriptions"])
    async def create_subscription(
        body: SubscriptionRequest, key: Caller, deps: Deps
    ) -> Subscription:
        sub_id = body.id or f"sub-{secrets.token_hex(6)}"
        if await deps.subscriptions.get(key.team, sub_id):
            raise HTTPException(409, f"subscription {sub_id!r} exists; PUT or PATCH it")
        fields = body.model_dump(exclude={"id", "created_at", "updated_at"})
        return await _save(deps, _build(fields, key.team, sub_id, None), None)

    @app.get("/v1/subscriptions/{sub_id}", tags=["subscriptions"])
    async def get_subscription(sub_id: str, key: Caller, deps: Deps) -> Subscription:
        return masked(await _owned(deps, key, sub_id))

    @app.put("/v1/subscriptions/{sub_id}", tags=["subscriptions"])
    async def replace_subscription(
        sub_id: str, body: SubscriptionRequest, key: Caller, deps: Deps, response: Response
    ) -> Subscription:
        old = await deps.subscriptions.get(key.team, sub_id)
        if old is None:
            response.status_code = 201
        fields = body.model_dump(exclude={"id", "created_at", "updated_at"})
        return await _save(deps, _build(fields, key.team, sub_id, old), old)

    @app.patch("/v1/subscriptions/{sub_id}", tags=["subscriptions"])
    async def update_subscription(
        sub_id: str, changes: dict[str, Any], key: Caller, deps: Deps
    ) -> Subscription:
        old = await _owned(deps, key, sub_id)
        fields = {**old.model_dump(mode="json"), **changes}
        return await _save(deps, _build(fields, key.team, sub_id, old), old)

    @app.delete("/v1/subscriptions/{sub_id}", status_code=204, tags=["subscriptions"])
    async def delete_subscription(sub_id: str, key: Caller, deps: Deps) -> Response:
        await _owned(deps, key, sub_id)
        await deps.subscriptions.remove(key.team, sub_id)
        return Response(status_code=204)

    @app.get("/v1/subscriptions/{sub_id}/deliveries", tags=["deliveries"])
    async def subscription_deliveries(
        sub_id: str,
        key: Caller,
        deps: Deps,
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    ) -> list[Delivery]:
        await _owned(deps, key, sub_id)
        return await deps.ledger.recent(key.team, sub_id, limit)

    @app.get("/v1/deliveries/{delivery_id}", tags=["deliveries"])
    async def get_delivery(delivery_id: str, key: Caller, deps: Deps) -> Delivery:
        delivery = await deps.ledger.get(delivery_id)
        if delivery is None or delivery.team != key.team:
            raise HTTPException(404, "no such delivery")
        return delivery

    @app.get("/v1/stories/{story_id}", tags=["stories"])
    async def get_story(story_id: str, key: Caller, deps: Deps) -> Story:
        found = await deps.stories.get_many([story_id])
        if story_id not in found:
            raise HTTPException(404, "no such story (or older than the retention)")
        return found[story_id]

    return app


async def _owned(deps: Services, key: ApiKey, sub_id: str) -> Subscription:
    sub = await deps.subscriptions.get(key.team, sub_id)
    if sub is None:
        raise HTTPException(404, f"no subscription {sub_id!r} in team {key.team!r}")
    return sub


def main(settings: AlerterSettings | None = None) -> None:
    import uvicorn

    settings = settings or AlerterSettings()
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level=settings.log_level.lower(),
    )
