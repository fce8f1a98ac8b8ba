"""What every route depends on: the stores (built by the composition root) and the caller's key."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from redis.asyncio import Redis

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.bootstrap import build_stores
from newswatch.alerter.keys import ApiKey
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import known_tags
from newswatch.alerter.web.errors import ApiError
from newswatch.alerter.web.limits import AuthThrottle


class ApiServices:
    def __init__(self, redis: Redis, settings: AlerterSettings) -> None:
        self.redis = redis
        self.stores = build_stores(settings, redis)
        self.policy = AddressPolicy.from_setting(settings.allowed_networks)
        self.tags = known_tags()
        self.throttle = AuthThrottle(
            redis,
            settings.redis_prefix,
            settings.api_auth_failure_limit,
            settings.api_auth_lockout_seconds,
        )


_bearer = HTTPBearer(auto_error=False)
_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def services(request: Request) -> ApiServices:
    return request.app.state.services


def _presented_key(
    request: Request, bearer: HTTPAuthorizationCredentials | None, header: str | None
) -> str | None:
    """The one key the request presents. Credentials that cannot all be the caller's (a
    malformed Authorization header, two different keys) present none: a valid key beside
    an invalid one must not let the invalid one pass unnoticed."""
    if request.headers.get("Authorization") is not None and bearer is None:
        return None
    keys = {k for k in (bearer.credentials if bearer else None, header) if k}
    return keys.pop() if len(keys) == 1 else None


def _unauthorized() -> ApiError:
    return ApiError(
        401,
        "missing, unknown or revoked API key (send one, as 'Authorization: Bearer' or X-API-Key)",
        "unauthorized",
        loc=["header", "Authorization"],
        headers={"WWW-Authenticate": "Bearer"},
    )


async def caller(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    header: Annotated[str | None, Depends(_header)],
) -> ApiKey:
    deps = services(request)
    key = _presented_key(request, bearer, header)
    address = request.client.host if request.client else "unknown"
    # Checked before the key itself, so a locked-out guesser learns nothing more.
    locked = await deps.throttle.lockout(address, key)
    if locked:
        raise ApiError(
            429,
            f"too many wrong API keys for this {locked.who}; try again in {locked.retry_after} s",
            "rate_limited",
            headers={"Retry-After": str(locked.retry_after)},
        )
    if key is None:
        raise _unauthorized()
    record = await deps.stores.keys.authenticate(key)
    if record is None:
        await deps.throttle.failed(address, key)
        raise _unauthorized()
    return record


Caller = Annotated[ApiKey, Depends(caller)]
Deps = Annotated[ApiServices, Depends(services)]
