"""The console's own routes: signing in and out, static files, feeds health; the router
that gathers the story and subscription pages."""

import contextlib
import secrets
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response

from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.web.console import story_pages, subscription_pages
from newswatch.alerter.web.console.forms import (
    first,
    local_path,
    posted,
    read_form,
    see_other,
    signed_in,
)
from newswatch.alerter.web.console.pages import error_page, page, static_response
from newswatch.alerter.web.console.services import console, current_session
from newswatch.alerter.web.console.sessions import COOKIE, Session
from newswatch.alerter.web.console.view import feed_rows
from newswatch.shared.contracts.base import utc_now

LOGIN_COOKIE = "nw_login"  # the sign-in form's CSRF token (double submit: no session yet)


def console_router(settings: AlerterSettings) -> APIRouter:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        found = getattr(app.state, "console", None)
        if found is not None:
            await found.close()

    def remember_settings(request: Request) -> None:
        # The console's services are built on first use, from these settings.
        request.app.state.console_settings = settings

    router = APIRouter(
        include_in_schema=False, lifespan=lifespan, dependencies=[Depends(remember_settings)]
    )

    @router.get("/static/{name}")
    async def static(name: str) -> Response:
        return static_response(name)

    @router.get("/login")
    async def login_form(request: Request, expired: str = "", next: str = "/") -> Response:
        return _login_page(
            request, next, "Your session has expired; sign in again." if expired else ""
        )

    @router.post("/login")
    async def login(request: Request) -> Response:
        found = console(request)
        form = await read_form(request)
        target = local_path(first(form, "next", "/"))
        given = request.cookies.get(LOGIN_COOKIE, "")
        if not given or not secrets.compare_digest(given, first(form, "csrf")):
            return _login_page(request, target, "The sign-in form expired; try again.", 403)
        key = first(form, "key").strip()
        address = request.client.host if request.client else "unknown"
        locked = await found.api.throttle.lockout(address, key or None)
        if locked:
            message = f"Too many wrong keys; try again in {locked.retry_after} s."
            return _login_page(request, target, message, 429)
        record = await found.api.stores.keys.authenticate(key) if key else None
        if record is None:
            if key:
                await found.api.throttle.failed(address, key)
            return _login_page(request, target, "Unknown or revoked API key.", 401)
        token, _ = await found.sessions.create(record, record.team in found.admins)
        response = see_other(target)
        _cookie(request, response, COOKIE, token, "/")
        response.delete_cookie(LOGIN_COOKIE, path="/login")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        checked = await posted(request)
        if isinstance(checked, Response):
            return checked
        await console(request).sessions.end(request.cookies.get(COOKIE))
        response = see_other("/login")
        response.delete_cookie(COOKIE, path="/")
        return response

    @router.get("/session")
    async def whoami(request: Request) -> JSONResponse:
        """For the page's script: is the session still alive (401 when not)?"""
        session = await current_session(request)
        if session is None:
            return JSONResponse({"signed_in": False}, status_code=401)
        return JSONResponse({"signed_in": True, "team": session.team})

    @router.get("/feeds")
    async def feeds(request: Request) -> Response:
        session = await signed_in(request)
        if not isinstance(session, Session):
            return session
        if not session.admin:
            return error_page(
                "Administrators only", "Feeds health is for administrators' keys.", 403, session
            )
        registry = console(request).feeds
        specs = await registry.all()
        health = await registry.health([s.id for s in specs])
        return page(
            "feeds.html",
            session=session,
            rows=feed_rows(specs, health),
            errors=await registry.error_counts(),
            now=utc_now(),
        )

    for pages_router in (story_pages.router(settings), subscription_pages.router(settings)):
        router.include_router(pages_router)
    return router


def _login_page(request: Request, target: str, message: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        "login.html", status, csrf=token, next=local_path(target), message=message, session=None
    )
    _cookie(request, response, LOGIN_COOKIE, token, "/login", max_age=1800)
    return response


def _cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    path: str,
    max_age: int | None = None,
) -> None:
    """Out of scripts' reach, never sent by another site's page, https-only over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
