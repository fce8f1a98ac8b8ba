"""The live story stream, a story's page, acknowledging a story and feedback on it."""

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from newswatch.alerter.feedback.records import FeedbackRefused, Report
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import known_tags
from newswatch.alerter.web.console.forms import first, posted, see_other, signed_in
from newswatch.alerter.web.console.pages import error_page, page, render
from newswatch.alerter.web.console.services import (
    ConsoleServices,
    console,
    current_session,
    feedback_service,
)
from newswatch.alerter.web.console.sessions import COOKIE, Session
from newswatch.alerter.web.console.view import REPORTS_ON_CARD, StoryFilter, StoryView, timeline
from newswatch.shared.contracts import Delivery, FeedbackKind, ItemSnapshot

KEEPALIVE_SECONDS = 15.0  # also how often an open stream checks that its session lives
NOTES = {
    "ack": "Acknowledged.",
    "feedback": "Feedback recorded: it goes to the classifier's training data.",
    "feedback-again": "Your team had already reported that.",
}


def _snapshot(view: StoryView, item_id: str) -> ItemSnapshot | None:
    for report in view.reports:
        if report.item.id == item_id:
            item = report.item
            return ItemSnapshot(
                title=item.title,
                summary=item.summary,
                language=item.language,
                tags=report.tag_names,
            )
    return None


async def _deliveries(found: ConsoleServices, team: str, story_id: str) -> list[Delivery]:
    """The team's deliveries about this story (alerts and digests), oldest first."""
    stores = found.api.stores
    subs = await stores.subscriptions.all(team=team)
    logs = await asyncio.gather(*(stores.ledger.recent(team, s.id, 1000) for s in subs))
    about = [d for log in logs for d in log if d.story_id == story_id or story_id in d.story_ids]
    return sorted(about, key=lambda d: d.created_at)


def router(settings: AlerterSettings) -> APIRouter:
    routes = APIRouter()
    tags = sorted(known_tags())

    @routes.get("/")
    async def stream(request: Request) -> Response:
        session = await signed_in(request)
        if not isinstance(session, Session):
            return session
        found = console(request)
        which = _filter(request)
        views, more = await found.reader.page(which)
        acks = await found.acks.many(session.team, [v.story.id for v in views])
        return page(
            "stream.html",
            session=session,
            views=views,
            acks=acks,
            which=which,
            more=more,
            tags=tags,
        )

    @routes.get("/events")
    async def events(request: Request) -> Response:
        session = await current_session(request)
        if session is None:
            return Response("sign in first", status_code=401, media_type="text/plain")
        found = console(request)
        which = _filter(request)
        queue = found.live.subscribe()
        missed = request.headers.get("last-event-id", "")

        async def send() -> AsyncIterator[str]:
            try:
                yield "retry: 2000\n\n"
                if missed:
                    for change in await found.live.since(missed):
                        queue.put_nowait(change)
                while True:
                    try:
                        async with asyncio.timeout(KEEPALIVE_SECONDS):
                            entry, story_id = await queue.get()
                    except TimeoutError:
                        if await found.sessions.get(request.cookies.get(COOKIE)) is None:
                            yield "event: expired\ndata: {}\n\n"
                            return
                        yield ": keepalive\n\n"
                        continue
                    view = await found.reader.one(story_id)
                    if view is None or not which.admits_story(view.story):
                        continue
                    if which.needs_reports and not which.admits_reports(view.story, view.reports):
                        continue
                    acks = await found.acks.many(session.team, [story_id])
                    card = render("_card.html", view=_carded(view), ack=acks.get(story_id))
                    data = json.dumps({"id": story_id, "html": card})
                    yield f"event: story\nid: {entry}\ndata: {data}\n\n"
            finally:
                found.live.unsubscribe(queue)

        return StreamingResponse(
            send(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @routes.get("/stories/{story_id}")
    async def story(request: Request, story_id: str, note: str = "") -> Response:
        session = await signed_in(request)
        if not isinstance(session, Session):
            return session
        return await _story_page(request, session, story_id, NOTES.get(note, ""))

    @routes.post("/stories/{story_id}/ack")
    async def acknowledge(request: Request, story_id: str) -> Response:
        checked = await posted(request)
        if isinstance(checked, Response):
            return checked
        session, _ = checked
        found = console(request)
        if await found.reader.one(story_id) is None:
            return _no_story(session)
        await found.acks.ack(session.team, story_id, session.who)
        return see_other(f"/stories/{story_id}?note=ack")

    @routes.post("/stories/{story_id}/feedback")
    async def feedback(request: Request, story_id: str) -> Response:
        checked = await posted(request)
        if isinstance(checked, Response):
            return checked
        session, form = checked
        view = await console(request).reader.one(story_id)
        if view is None:
            return _no_story(session)
        item_id = first(form, "item_id")
        kind = first(form, "kind")
        if item_id not in view.story.item_ids or kind not in {k.value for k in FeedbackKind}:
            return await _story_page(
                request, session, story_id, "", "Not a report of this story.", 422
            )
        service = feedback_service(request)
        try:
            _, new = await service.record(
                Report(
                    team=session.team,
                    kind=FeedbackKind(kind),
                    tag=first(form, "tag"),
                    by=session.key_id,
                    item_id=item_id,
                    comment=first(form, "comment")[:1000] or None,
                    given=_snapshot(view, item_id),
                )
            )
        except FeedbackRefused as exc:
            return await _story_page(request, session, story_id, "", str(exc), exc.status)
        response = see_other(f"/stories/{story_id}?note={'feedback' if new else 'feedback-again'}")
        # Published after the answer; the outbox keeps it should Kafka be away.
        response.background = BackgroundTask(service.publisher.flush)
        return response

    async def _story_page(
        request: Request,
        session: Session,
        story_id: str,
        note: str = "",
        error: str = "",
        status: int = 200,
    ) -> Response:
        found = console(request)
        view = await found.reader.one(story_id)
        if view is None:
            return _no_story(session)
        team_feedback = await feedback_service(request).store.find(session.team, limit=1000)
        items = set(view.story.item_ids)
        return page(
            "story.html",
            status,
            session=session,
            view=view,
            entries=timeline(view.reports),
            deliveries=await _deliveries(found, session.team, story_id),
            feedback=[f for f in team_feedback if f.item_id in items],
            ack=(await found.acks.many(session.team, [story_id])).get(story_id),
            tags=tags,
            note=note,
            error=error,
        )

    return routes


def _no_story(session: Session) -> Response:
    return error_page("No such story", "It may be older than the retention.", 404, session)


def _filter(request: Request) -> StoryFilter:
    return StoryFilter.from_query(
        {k: request.query_params.getlist(k) for k in request.query_params}
    )


def _carded(view: StoryView) -> StoryView:
    return StoryView(view.story, view.reports[:REPORTS_ON_CARD])
