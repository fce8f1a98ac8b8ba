"""The team's subscriptions as pages: list, create, edit, pause, delete, send a test alert.

Every change goes through the API's own route functions, so the console validates
exactly as the API does (tags the classifier knows, targets the address policy allows,
list limits) and secrets stay write-only: the form shows ``***``, and ``***`` sent back
keeps the stored secret.
"""

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from newswatch.alerter.cli import parse_channel
from newswatch.alerter.keys import ApiKey
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import known_tags, masked
from newswatch.alerter.web import subscriptions as api
from newswatch.alerter.web.console.forms import Form, first, posted, see_other, signed_in
from newswatch.alerter.web.console.pages import error_page, page
from newswatch.alerter.web.console.services import ConsoleServices, console
from newswatch.alerter.web.console.sessions import Session
from newswatch.alerter.web.errors import ApiError, ErrorDetail, from_validation
from newswatch.shared.contracts import Subscription

_LISTS = ("keywords", "exclude_keywords", "countries", "sources", "languages")


def channel_line(channel: Any) -> str:
    """A channel as the CLI's ``--channel`` writes it: ``webhook:https://…;secret=***``."""
    if channel.kind == "console":
        return "console"
    options = "".join(f";{k}={v}" for k, v in channel.options.items())
    return f"{channel.kind}:{channel.target}{options}"


def form_fields(sub: Subscription | None) -> dict[str, Any]:
    """What the form shows: a stored subscription (secrets masked) or a new one's defaults."""
    if sub is None:
        return {
            "id": "",
            "name": "",
            "tags": [],
            "all_tags": [],
            "min_confidence": "0",
            **{n: "" for n in _LISTS},
            "mode": "immediate",
            "digest_minutes": "60",
            "rate_limit": "",
            "followups": True,
            "enabled": True,
            "channels": "",
        }
    shown = masked(sub)
    limit = shown.rate_limit
    return {
        "id": shown.id,
        "name": shown.name,
        "tags": shown.tags,
        "all_tags": shown.all_tags,
        "min_confidence": f"{shown.min_confidence:g}",
        **{n: ", ".join(getattr(shown, n)) for n in _LISTS},
        "mode": shown.mode.value,
        "digest_minutes": f"{shown.digest_minutes:g}",
        "rate_limit": f"{limit.max_alerts}/{limit.per_minutes}" if limit else "",
        "followups": shown.followups,
        "enabled": shown.enabled,
        "channels": "\n".join(channel_line(c) for c in shown.channels),
    }


def request_body(form: Form) -> dict[str, Any]:
    """The form as the API's request body (validated by the API's model afterwards)."""
    body: dict[str, Any] = {
        "id": first(form, "id").strip() or None,
        "name": first(form, "name").strip(),
        "tags": form.get("tags", []),
        "all_tags": form.get("all_tags", []),
        "min_confidence": first(form, "min_confidence", "0").strip() or "0",
        "mode": first(form, "mode", "immediate"),
        "digest_minutes": first(form, "digest_minutes", "60").strip() or "60",
        "followups": first(form, "followups") == "on",
        "enabled": first(form, "enabled") == "on",
        **{n: [v.strip() for v in first(form, n).split(",") if v.strip()] for n in _LISTS},
    }
    limit = first(form, "rate_limit").strip()
    if limit:
        count, _, minutes = limit.partition("/")
        body["rate_limit"] = {"max_alerts": count.strip(), "per_minutes": minutes.strip() or "60"}
    lines = [ln.strip() for ln in first(form, "channels").splitlines() if ln.strip()]
    body["channels"] = [parse_channel(ln).model_dump() for ln in lines]
    return body


def _problems(error: ApiError) -> list[str]:
    return [_say(d) for d in error.detail]


def _say(detail: ErrorDetail) -> str:
    where = ".".join(str(p) for p in detail.loc if p != "body")
    return f"{where}: {detail.msg}" if where else detail.msg


def _no_subscription(session: Session, sub_id: str) -> Response:
    return error_page("No such subscription", f"No {sub_id!r} in your team.", 404, session)


async def _key(found: ConsoleServices, session: Session) -> ApiKey:
    key = await found.api.stores.keys.get(session.key_id)
    assert key is not None  # the session was checked against it a moment ago
    return key


def router(settings: AlerterSettings) -> APIRouter:
    routes = APIRouter()
    tags = sorted(known_tags())

    async def listing(request: Request, session: Session, **extra: Any) -> Response:
        found = console(request)
        subs = [masked(s) for s in await found.api.stores.subscriptions.all(team=session.team)]
        return page("subscriptions.html", session=session, subs=subs, line=channel_line, **extra)

    def editor(
        session: Session,
        fields: dict[str, Any],
        editing: bool,
        problems: Sequence[Any] = (),
        status: int = 200,
    ) -> Response:
        return page(
            "subscription_form.html",
            status,
            session=session,
            f=fields,
            editing=editing,
            problems=list(problems),
            tags=tags,
        )

    @routes.get("/subscriptions")
    async def list_subscriptions(request: Request, note: str = "") -> Response:
        session = await signed_in(request)
        if not isinstance(session, Session):
            return session
        notes = {
            "saved": "Saved.",
            "deleted": "Deleted.",
            "paused": "Paused.",
            "resumed": "Resumed.",
        }
        return await listing(request, session, note=notes.get(note, ""))

    @routes.get("/subscriptions/new")
    async def new_form(request: Request) -> Response:
        session = await signed_in(request)
        if not isinstance(session, Session):
            return session
        return editor(session, form_fields(None), False)

    @routes.get("/subscriptions/{sub_id}/edit")
    async def edit_form(request: Request, sub_id: str) -> Response:
        session = await signed_in(request)
        if not isinstance(session, Session):
            return session
        sub = await console(request).api.stores.subscriptions.get(session.team, sub_id)
        if sub is None:
            return _no_subscription(session, sub_id)
        return editor(session, form_fields(sub), True)

    @routes.post("/subscriptions/new")
    @routes.post("/subscriptions/{sub_id}/edit")
    async def save(request: Request, sub_id: str | None = None) -> Response:
        checked = await posted(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        found = console(request)
        fields = {**form_fields(None), **{k: v[0] for k, v in form.items()}}
        fields["tags"], fields["all_tags"] = form.get("tags", []), form.get("all_tags", [])
        fields["followups"] = first(form, "followups") == "on"
        fields["enabled"] = first(form, "enabled") == "on"
        try:
            body = request_body(form)
            if sub_id is not None:
                body["id"] = sub_id
            try:
                parsed = api.SubscriptionRequest.model_validate(body)
            except ValidationError as exc:
                raise from_validation(exc) from exc
            key = await _key(found, session)
            if sub_id is None:
                await api.create_subscription(parsed, key, found.api)
            else:
                await api.replace_subscription(sub_id, parsed, key, found.api, Response())
        except ApiError as exc:
            return editor(session, fields, sub_id is not None, _problems(exc), exc.status)
        except ValueError as exc:  # a channel line parse_channel cannot read
            return editor(session, fields, sub_id is not None, [f"channels: {exc}"], 422)
        return see_other("/subscriptions?note=saved")

    @routes.post("/subscriptions/{sub_id}/pause")
    async def pause(request: Request, sub_id: str) -> Response:
        checked = await posted(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        found = console(request)
        try:
            key = await _key(found, session)
            sub = await api.owned(found.api, key, sub_id)
            change = api.SubscriptionPatch(enabled=not sub.enabled)
            await api.update_subscription(sub_id, change, key, found.api)
        except ApiError as exc:
            return await listing(request, session, problems=_problems(exc))
        return see_other(f"/subscriptions?note={'paused' if sub.enabled else 'resumed'}")

    @routes.post("/subscriptions/{sub_id}/delete")
    async def delete(request: Request, sub_id: str) -> Response:
        checked = await posted(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        found = console(request)
        try:
            await api.delete_subscription(sub_id, await _key(found, session), found.api)
        except ApiError as exc:
            return await listing(request, session, problems=_problems(exc))
        return see_other("/subscriptions?note=deleted")

    @routes.post("/subscriptions/{sub_id}/test")
    async def test(request: Request, sub_id: str) -> Response:
        checked = await posted(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        found = console(request)
        sub = await found.api.stores.subscriptions.get(session.team, sub_id)
        if sub is None:
            return _no_subscription(session, sub_id)
        outcomes = await found.tester.send(sub)
        return await listing(request, session, tested=sub_id, outcomes=outcomes)

    return routes
