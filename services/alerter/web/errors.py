"""One error model for every status the API answers with: ``{"detail": [{loc, msg, type}]}``.

FastAPI's own errors come in two shapes (a string for ``HTTPException``, a list
for validation); clients should not have to tell them apart, so every error, ours
and the framework's, is rendered here as the same list, and the OpenAPI document
describes exactly that (:data:`ERROR_RESPONSES`).
"""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

# While Redis is away, how long clients are asked to wait before trying again.
UNAVAILABLE_RETRY_AFTER = 5


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(
        default_factory=list,
        description="Where the problem is, e.g. ['body', 'keywords']; empty when it is the "
        "request as a whole.",
    )
    msg: str = Field(description="What is wrong, for people.")
    type: str = Field(description="What is wrong, for programs (e.g. 'not_found').")


class ErrorResponse(BaseModel):
    detail: list[ErrorDetail]


class ApiError(Exception):
    """An error answer: raise it from any route or dependency."""

    def __init__(
        self,
        status: int,
        msg: str,
        type: str,
        loc: list[str | int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(msg)
        self.status = status
        self.detail = [ErrorDetail(loc=loc or [], msg=msg, type=type)]
        self.headers = headers


def from_validation(exc: ValidationError, loc_prefix: str = "body") -> ApiError:
    """A pydantic error as a 422 naming each field (a model validated by hand, not by FastAPI)."""
    error = ApiError(422, "invalid subscription", "validation_error")
    error.detail = [_detail(e, [loc_prefix]) for e in exc.errors(include_url=False)]
    return error


def _detail(error: Any, prefix: list[str | int] | None = None) -> ErrorDetail:
    return ErrorDetail(loc=[*(prefix or []), *error["loc"]], msg=error["msg"], type=error["type"])


def _allowed_methods(request: Request) -> str:
    """Every method the OpenAPI document gives the path: Starlette's 405 names only the
    first matching route's."""
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if compile_path(template)[0].match(request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


def _status_type(status: int) -> str:
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "body_too_large",
        429: "rate_limited",
        503: "unavailable",
    }.get(status, "error")


def error_response(
    status: int, detail: list[ErrorDetail], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    body = ErrorResponse(detail=detail).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers=headers)


def unavailable(reason: str) -> JSONResponse:
    return error_response(
        503,
        [ErrorDetail(loc=["redis"], msg=reason, type="unavailable")],
        {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)},
    )


def install_error_handlers(app: FastAPI) -> None:
    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(exc.status, exc.detail, exc.headers)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if isinstance(exc.detail, list):
            detail = [_detail(e) for e in exc.detail]
        else:
            detail = [ErrorDetail(msg=str(exc.detail), type=_status_type(exc.status_code))]
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return error_response(exc.status_code, detail, headers)

    async def invalid_request(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(422, [_detail(e) for e in exc.errors()])

    async def redis_down(_: Request, exc: Exception) -> JSONResponse:
        return unavailable(
            f"the subscription store (Redis) is unreachable; try again later ({exc})"
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(RedisConnectionError, redis_down)
    app.add_exception_handler(RedisTimeoutError, redis_down)


# OpenAPI's responses of a route, by status, as FastAPI takes them.
Responses = dict[int | str, dict[str, Any]]


def _documented(description: str, **headers: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "model": ErrorResponse,
        "description": description,
        # Errors are JSON on every route, HTML pages included: say so, whatever the route's
        # own media type (the model alone would be filed under it).
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
    }
    if headers:
        entry["headers"] = {
            name: {
                "description": text,
                "schema": {"type": "integer" if name == "Retry-After" else "string"},
            }
            for name, text in headers.items()
        }
    return entry


RETRY_AFTER = "Seconds to wait before trying again."
ERROR_RESPONSES: Responses = {
    400: _documented("The request could not be read."),
    401: _documented(
        "The API key is missing, unknown or revoked.",
        **{"WWW-Authenticate": "Bearer"},
    ),
    413: _documented("The request body is larger than the API accepts."),
    422: _documented("The request is invalid; each entry names the field and the reason."),
    429: _documented(
        "Too many wrong API keys from this address or for this key id: locked out for a while.",
        **{"Retry-After": RETRY_AFTER},
    ),
    503: _documented(
        "A dependency (Redis) is unreachable; the API recovers by itself when it is back.",
        **{"Retry-After": RETRY_AFTER},
    ),
}


def page_errors(*statuses: int) -> Responses:
    """For routes that answer browsers: refusals come as HTML pages, the API's own errors
    (limits, lockout, Redis away) as JSON."""
    return {
        status: {
            "description": "Refused: an HTML page saying why (JSON for the API's own errors).",
            "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}},
            },
        }
        for status in statuses
    }


NOT_FOUND: Responses = {404: _documented("No such resource in the key's team.")}
CONFLICT: Responses = {409: _documented("A subscription with this id exists.")}
FORBIDDEN: Responses = {403: _documented("The key's team may not do this (another team's data).")}
