"""``/v1/feedback``: officers tell the classifier where it was wrong.

A team reports a false alarm on a delivered alert's tag, or a tag the classifier
missed on an item; ``GET`` lists the team's reports. The one-click link in Slack and
email alerts opens ``/v1/feedback/link``, a confirmation page whose button records
the false alarm without an API key (the link is signed and expires).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from newswatch.alerter.feedback.records import FeedbackRefused, Report
from newswatch.alerter.feedback.service import FeedbackService
from newswatch.alerter.feedback.tokens import TokenError
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.web import feedback_pages as pages
from newswatch.alerter.web.deps import Caller, services
from newswatch.alerter.web.errors import NOT_FOUND, ApiError, page_errors
from newswatch.shared.contracts import Feedback, FeedbackKind, FeedbackStatus, ItemSnapshot
from newswatch.shared.contracts.feedback import COMMENT_MAX, ID_PATTERN

# The link pages' refusals: damaged or expired link, bad signature, links off, refused record.
LINK_PAGE_ERRORS = page_errors(400, 403, 404, 422)
_Id = Annotated[str | None, Field(default=None, pattern=ID_PATTERN)]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FeedbackKind
    tag: str = Field(max_length=64, description="One of the tags the classifier produces.")
    delivery_id: _Id = Field(
        default=None, description="The alert (a false alarm is reported on one)."
    )
    item_id: _Id = Field(default=None, description="The item, when no delivery is named.")
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)
    item: ItemSnapshot | None = Field(
        default=None,
        description="The item as you saw it; needed only for an item newswatch did not "
        "alert your team to (what newswatch kept of an alerted item wins).",
    )


def feedback_router(settings: AlerterSettings) -> APIRouter:
    def feedback(request: Request) -> FeedbackService:
        app = request.app
        if getattr(app.state, "feedback", None) is None:  # tests run without the lifespan
            app.state.feedback = FeedbackService(services(request).redis, settings, "api")
        return app.state.feedback

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = app.state.feedback = FeedbackService(app.state.services.redis, settings, "api")
        outbox = asyncio.create_task(service.publisher.run())
        yield
        outbox.cancel()
        await asyncio.gather(outbox, return_exceptions=True)
        await service.publisher.close()

    router = APIRouter(tags=["feedback"], lifespan=lifespan)
    Service = Annotated[FeedbackService, Depends(feedback)]

    @router.post("/v1/feedback", status_code=201, responses=NOT_FOUND)
    async def report_feedback(
        body: FeedbackRequest,
        key: Caller,
        service: Service,
        response: Response,
        background: BackgroundTasks,
    ) -> Feedback:
        """Record a false alarm or a missed tag: 201 with the record, or 200 with the
        record the team made before for the same kind, tag and item."""
        try:
            record, new = await service.record(
                Report(
                    team=key.team,
                    kind=body.kind,
                    tag=body.tag,
                    by=key.id,
                    item_id=body.item_id,
                    delivery_id=body.delivery_id,
                    comment=body.comment,
                    given=body.item,
                )
            )
        except FeedbackRefused as exc:
            loc: list[str | int] = ["body", exc.field] if exc.field else []
            raise ApiError(exc.status, str(exc), exc.kind, loc=loc) from exc
        if not new:
            response.status_code = 200
        # After the answer: the outbox holds the record, however long Kafka takes.
        background.add_task(service.publisher.flush)
        return record

    @router.get("/v1/feedback")
    async def list_feedback(
        key: Caller,
        service: Service,
        status: FeedbackStatus | None = None,
        tag: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[Feedback]:
        """The team's feedback, newest first."""
        return await service.store.find(key.team, status=status, tag=tag, limit=limit)

    @router.get("/v1/feedback/link", response_class=HTMLResponse, responses=LINK_PAGE_ERRORS)
    async def feedback_link(
        service: Service, token: Annotated[str, Query(max_length=2000)]
    ) -> HTMLResponse:
        """The page an alert's "False alarm" link opens: it asks, it does not record."""
        if not service.links_enabled:
            return pages.refused("feedback links are not enabled on this server", 404)
        try:
            claim = service.claim(token)
        except TokenError as exc:
            return pages.refused(str(exc), exc.status)
        snapshot = await service.snapshot(claim.item_id)
        return pages.confirm(claim.tag, snapshot.title if snapshot else "")

    @router.post("/v1/feedback/link", response_class=HTMLResponse, responses=LINK_PAGE_ERRORS)
    async def confirm_feedback_link(
        request: Request,
        service: Service,
        background: BackgroundTasks,
        token: Annotated[str, Query(max_length=2000)],
    ) -> HTMLResponse:
        """The confirmation page's button: records the false alarm once per item and tag."""
        if not service.links_enabled:
            return pages.refused("feedback links are not enabled on this server", 404)
        try:
            claim = service.claim(token)
        except TokenError as exc:
            return pages.refused(str(exc), exc.status)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        try:
            record, new = await service.record_link(claim, (form.get("comment") or [""])[0])
        except FeedbackRefused as exc:
            return pages.refused(str(exc), exc.status)
        background.add_task(service.publisher.flush)  # FastAPI runs it after the page is sent
        return pages.recorded(record.tag, new)

    return router
