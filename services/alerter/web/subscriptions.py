"""``/v1/subscriptions``: a team's subscriptions, created, read, replaced, patched, deleted."""

import asyncio
import secrets
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, create_model

from newswatch.alerter.addresses import AddressRefused
from newswatch.alerter.channels import validate_target
from newswatch.alerter.keys import ApiKey
from newswatch.alerter.masking import MaskedValueError, masked, unmask
from newswatch.alerter.web.deps import ApiServices, Caller, Deps
from newswatch.alerter.web.errors import CONFLICT, FORBIDDEN, NOT_FOUND, ApiError, from_validation
from newswatch.shared.contracts import Subscription
from newswatch.shared.contracts.base import utc_now

# Generous for real use, small enough that one subscription cannot slow matching for all.
Word = Annotated[str, StringConstraints(max_length=200)]
SubscriptionId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
_SERVER_FIELDS = {"id", "team", "schema_version", "created_at", "updated_at"}


def _words(field: str, most: int) -> Any:
    described = Subscription.model_fields[field].description
    return Field(default_factory=list, max_length=most, description=f"{described} At most {most}.")


class SubscriptionRequest(Subscription):
    """A subscription as a client sends it: the server fills in team, id and times."""

    id: str | None = Field(  # type: ignore[assignment]
        default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Generated when absent."
    )
    team: str | None = Field(  # type: ignore[assignment]
        default=None, description="Must be the key's team when given."
    )
    tags: list[Word] = _words("tags", 50)
    all_tags: list[Word] = _words("all_tags", 50)
    keywords: list[Word] = _words("keywords", 200)
    exclude_keywords: list[Word] = _words("exclude_keywords", 200)
    countries: list[Word] = _words("countries", 250)
    sources: list[Word] = _words("sources", 200)
    languages: list[Word] = _words("languages", 50)


def _optional(name: str, info: Any) -> tuple[Any, Any]:
    field = info.merge_field_infos(info, default=None, default_factory=None)
    return (info.annotation | None, field)


# PATCH: any field of a request, each optional; the ones given replace the stored ones.
if TYPE_CHECKING:  # built at run time below; to a type checker, a pydantic model
    SubscriptionPatch = BaseModel
else:
    SubscriptionPatch = create_model(
        "SubscriptionPatch",
        __config__=ConfigDict(extra="forbid"),
        **{
            name: _optional(name, info)
            for name, info in SubscriptionRequest.model_fields.items()
            if name not in _SERVER_FIELDS
        },
    )

router = APIRouter(prefix="/v1/subscriptions", tags=["subscriptions"])


@router.get("")
async def list_subscriptions(key: Caller, deps: Deps) -> list[Subscription]:
    return [masked(s) for s in await deps.stores.subscriptions.all(team=key.team)]


@router.post("", status_code=201, responses={**CONFLICT, **FORBIDDEN})
async def create_subscription(body: SubscriptionRequest, key: Caller, deps: Deps) -> Subscription:
    sub_id = body.id or f"sub-{secrets.token_hex(6)}"
    if await deps.stores.subscriptions.get(key.team, sub_id):
        raise ApiError(409, f"subscription {sub_id!r} exists; PUT or PATCH it", "conflict")
    fields = body.model_dump(exclude=_SERVER_FIELDS - {"team"})
    return await _save(deps, _build(fields, key.team, sub_id, None), None)


@router.get("/{sub_id}", responses=NOT_FOUND)
async def get_subscription(sub_id: SubscriptionId, key: Caller, deps: Deps) -> Subscription:
    return masked(await owned(deps, key, sub_id))


@router.put(
    "/{sub_id}",
    responses={201: {"model": Subscription, "description": "Created"}, **FORBIDDEN},
)
async def replace_subscription(
    sub_id: SubscriptionId, body: SubscriptionRequest, key: Caller, deps: Deps, response: Response
) -> Subscription:
    old = await deps.stores.subscriptions.get(key.team, sub_id)
    if old is None:
        response.status_code = 201
    fields = body.model_dump(exclude=_SERVER_FIELDS - {"team"})
    return await _save(deps, _build(fields, key.team, sub_id, old), old)


@router.patch("/{sub_id}", responses={**NOT_FOUND, **FORBIDDEN})
async def update_subscription(
    sub_id: SubscriptionId,
    changes: SubscriptionPatch,
    key: Caller,
    deps: Deps,
) -> Subscription:
    old = await owned(deps, key, sub_id)
    fields = {**old.model_dump(mode="json"), **changes.model_dump(mode="json", exclude_unset=True)}
    return await _save(deps, _build(fields, key.team, sub_id, old), old)


@router.delete("/{sub_id}", status_code=204, responses=NOT_FOUND)
async def delete_subscription(sub_id: SubscriptionId, key: Caller, deps: Deps) -> Response:
    await owned(deps, key, sub_id)
    await deps.stores.subscriptions.remove(key.team, sub_id)
    return Response(status_code=204)


async def owned(deps: ApiServices, key: ApiKey, sub_id: str) -> Subscription:
    sub = await deps.stores.subscriptions.get(key.team, sub_id)
    if sub is None:
        raise ApiError(404, f"no subscription {sub_id!r} in team {key.team!r}", "not_found")
    return sub


def _build(
    fields: dict[str, Any], team: str, sub_id: str, old: Subscription | None
) -> Subscription:
    if fields.get("team") not in (None, team):
        raise ApiError(
            403, "a key can only manage its own team's subscriptions", "forbidden", ["body", "team"]
        )
    fields.update(
        id=sub_id,
        team=team,
        created_at=old.created_at if old else utc_now(),
        updated_at=utc_now(),
    )
    fields.pop("schema_version", None)
    try:
        return Subscription.model_validate(fields)
    except ValidationError as exc:
        raise from_validation(exc) from exc


def _keep_secrets(new: Subscription, old: Subscription | None) -> None:
    """A client that echoes back a masked target or secret means 'unchanged'."""
    try:
        unmask(new, old)
    except MaskedValueError as exc:
        raise ApiError(422, str(exc), "value_error", ["body", *exc.location]) from exc


async def _check(deps: ApiServices, sub: Subscription) -> None:
    """Tags someone produces; targets that work and that the address policy allows."""
    unknown = sorted({*sub.tags, *sub.all_tags} - deps.tags)
    if unknown:
        raise ApiError(
            422,
            f"unknown tag(s) {', '.join(unknown)}: the classifier tags {', '.join(sorted(deps.tags))}",
            "unknown_tag",
            ["body", "tags"],
        )
    for n, target in enumerate(sub.channels):
        try:
            await asyncio.to_thread(validate_target, target, deps.policy)
        except ValueError as exc:
            kind = "address_refused" if isinstance(exc, AddressRefused) else "invalid_target"
            raise ApiError(422, str(exc), kind, ["body", "channels", n, "target"]) from exc


async def _save(deps: ApiServices, sub: Subscription, old: Subscription | None) -> Subscription:
    _keep_secrets(sub, old)
    await _check(deps, sub)
    await deps.stores.subscriptions.save(sub)
    return masked(sub)
