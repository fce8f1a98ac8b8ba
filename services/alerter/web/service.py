"""``/v1/health`` and ``/v1/me``: is the API able to serve, and who is asking."""

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from newswatch.alerter.keys import ApiKey
from newswatch.alerter.web.deps import Caller, Deps
from newswatch.alerter.web.errors import ERROR_RESPONSES, UNAVAILABLE_RETRY_AFTER, ErrorDetail

PING_TIMEOUT_SECONDS = 2.0

router = APIRouter(prefix="/v1", tags=["service"])


class Dependency(BaseModel):
    status: Literal["ok", "down"]
    error: str | None = Field(default=None, description="Why it is down.")


class Health(BaseModel):
    status: Literal["ok", "down"] = Field(description="'down' when any dependency is down.")
    dependencies: dict[str, Dependency]
    detail: list[ErrorDetail] = Field(
        default_factory=list, description="One entry per dependency that is down (as errors)."
    )


@router.get(
    "/health",
    responses={
        503: {
            "model": Health,
            "description": "A dependency is down; the API recovers by itself when it is back.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        }
    },
)
async def health(deps: Deps) -> Health:
    """Each dependency's state; needs no key, so load balancers and operators can ask."""
    try:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS):
            await deps.redis.ping()
        redis = Dependency(status="ok")
    except Exception as exc:  # whatever the reason, the answer is 'down, because ...'
        redis = Dependency(status="down", error=f"{type(exc).__name__}: {exc}")
    report = Health(status=redis.status, dependencies={"redis": redis})
    if redis.status == "ok":
        return report
    report.detail = [
        ErrorDetail(loc=["redis"], msg=f"redis is down: {redis.error}", type="unavailable")
    ]
    return JSONResponse(  # type: ignore[return-value]
        report.model_dump(mode="json"),
        status_code=503,
        headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
    )


@router.get("/me", responses=ERROR_RESPONSES)
async def me(key: Caller) -> ApiKey:
    return key
