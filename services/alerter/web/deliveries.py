"""``/v1/deliveries`` and ``/v1/stories``: what was sent, what failed for good, and about what."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from newswatch.alerter.failed import FailedFilter
from newswatch.alerter.web.deps import Caller, Deps
from newswatch.alerter.web.errors import NOT_FOUND, ApiError
from newswatch.alerter.web.subscriptions import SubscriptionId, owned
from newswatch.shared.contracts import Delivery, Story

# Paging by offset reads every earlier entry again; past this, narrow the time range.
MAX_OFFSET = 10_000

router = APIRouter(tags=["deliveries"])


class FailedDeliveriesPage(BaseModel):
    items: list[Delivery] = Field(description="Newest failure first.")
    next_offset: int | None = Field(
        description="Pass as offset for the next page; null on the last page."
    )


@router.get("/v1/subscriptions/{sub_id}/deliveries", responses=NOT_FOUND)
async def subscription_deliveries(
    sub_id: SubscriptionId,
    key: Caller,
    deps: Deps,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> list[Delivery]:
    await owned(deps, key, sub_id)
    return await deps.stores.ledger.recent(key.team, sub_id, limit)


@router.get("/v1/deliveries/failed")
async def failed_deliveries(
    key: Caller,
    deps: Deps,
    subscription_id: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Only this one's.")
    ] = None,
    channel: Annotated[
        str | None, Query(pattern=r"^[a-z][a-z0-9_]*$", description="Only this channel's.")
    ] = None,
    since: Annotated[datetime | None, Query(description="Failed at or after this time.")] = None,
    until: Annotated[datetime | None, Query(description="Failed at or before this time.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> FailedDeliveriesPage:
    """Deliveries of the key's team that failed for good (kept for replay), newest first."""
    which = FailedFilter(
        team=key.team,
        subscription_id=subscription_id,
        channel=channel,
        since=_utc(since),
        until=_utc(until),
    )
    found = await deps.stores.failed.failed_deliveries(which, limit=offset + limit + 1)
    page = found[offset : offset + limit]
    more = len(found) > offset + limit
    return FailedDeliveriesPage(items=page, next_offset=offset + limit if more else None)


@router.get("/v1/deliveries/{delivery_id}", responses=NOT_FOUND)
async def get_delivery(
    delivery_id: Annotated[str, Path(max_length=200)], key: Caller, deps: Deps
) -> Delivery:
    delivery = await deps.stores.ledger.get(delivery_id)
    if delivery is None or delivery.team != key.team:
        raise ApiError(404, "no such delivery", "not_found")
    return delivery


@router.get("/v1/stories/{story_id}", tags=["stories"], responses=NOT_FOUND)
async def get_story(
    story_id: Annotated[str, Path(max_length=200)], key: Caller, deps: Deps
) -> Story:
    found = await deps.stores.stories.get_many([story_id])
    if story_id not in found:
        raise ApiError(404, "no such story (or older than the retention)", "not_found")
    return found[story_id]


def _utc(moment: datetime | None) -> datetime | None:
    """A time without a zone is UTC, as everywhere in newswatch."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment
