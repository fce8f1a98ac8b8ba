"""Rendering console pages: Jinja2 templates (autoescaped), security headers, static files.

Nothing is loaded from elsewhere and nothing runs inline: the Content-Security-Policy
allows scripts, styles and connections from this server only, so feed text that slipped
through escaping still could not run. Static files are read once and served with a
content hash in their URL, so they can be cached for long.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from newswatch.alerter.web.console.view import marked

HERE = Path(__file__).resolve().parent
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class StaticFile:
    body: bytes
    media_type: str
    version: str


def _static() -> dict[str, StaticFile]:
    found = {}
    for path in sorted((HERE / "static").iterdir()):
        if path.suffix in _TYPES:
            body = path.read_bytes()
            found[path.name] = StaticFile(
                body, _TYPES[path.suffix], hashlib.sha256(body).hexdigest()[:12]
            )
    return found


STATIC = _static()


def static_url(name: str) -> str:
    return f"/static/{name}?v={STATIC[name].version}"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.globals["static_url"] = static_url
env.globals["marked"] = marked
env.filters["when"] = _when
env.filters["percent"] = _percent


def render(name: str, **context: Any) -> str:
    return env.get_template(name).render(**context)


def page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(render(name, **context), status_code=status, headers=HEADERS)


def error_page(title: str, message: str, status: int, session: Any = None) -> HTMLResponse:
    return page("error.html", status, title=title, message=message, session=session)


def static_response(name: str) -> Response:
    found = STATIC.get(name)
    if found is None:
        return Response(status_code=404, headers={"X-Content-Type-Options": "nosniff"})
    return Response(
        found.body,
        media_type=found.media_type,
        headers={
            "Cache-Control": "public, max-age=86400, immutable",
            "ETag": f'"{found.version}"',
            "X-Content-Type-Options": "nosniff",
        },
    )
