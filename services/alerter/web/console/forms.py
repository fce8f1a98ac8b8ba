"""What every console route does with a request: find the session, read a form, check its
CSRF token, send the browser elsewhere."""

from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from newswatch.alerter.web.console.pages import HEADERS, error_page
from newswatch.alerter.web.console.services import current_session
from newswatch.alerter.web.console.sessions import COOKIE, Session

Form = dict[str, list[str]]


def local_path(target: str | None) -> str:
    """Only a path on this server: a sign-in link must not send the officer elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def to_login(request: Request, expired: bool = False) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = f"next={quote(local_path(here), safe='')}" + ("&expired=1" if expired else "")
    return RedirectResponse(f"/login?{query}", status_code=303, headers=HEADERS)


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(local_path(path), status_code=303, headers=HEADERS)


async def read_form(request: Request) -> Form:
    body = (await request.body()).decode("utf-8", "replace")
    return parse_qs(body, keep_blank_values=True, max_num_fields=200)


def first(form: Form, name: str, default: str = "") -> str:
    return (form.get(name) or [default])[0]


async def signed_in(request: Request) -> Session | Response:
    """The session, or where to go instead: the sign-in page (saying the session expired
    when the browser still held a cookie)."""
    session = await current_session(request)
    if session is None:
        return to_login(request, expired=COOKIE in request.cookies)
    return session


async def posted(request: Request) -> tuple[Session, Form] | Response:
    """A signed-in form post with its CSRF token checked."""
    session = await signed_in(request)
    if not isinstance(session, Session):
        return session
    form = await read_form(request)
    if not session.csrf_ok(first(form, "csrf")):
        return error_page(
            "Form expired", "This form is stale or forged; reload the page and try again.", 403
        )
    return session, form
