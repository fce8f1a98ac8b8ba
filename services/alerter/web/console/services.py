"""What the console's routes share: built once per app, on first use (tests drive the app
without its lifespan), closed by the router's lifespan."""

from fastapi import Request

from newswatch.alerter.feedback.service import FeedbackService
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.web.console.acks import AckStore
from newswatch.alerter.web.console.live import LiveStories
from newswatch.alerter.web.console.reader import StoryReader
from newswatch.alerter.web.console.sessions import COOKIE, Session, SessionStore, admin_teams
from newswatch.alerter.web.console.tester import TestAlerts
from newswatch.alerter.web.deps import ApiServices, services
from newswatch.fetcher.registry import FeedRegistry


class ConsoleServices:
    def __init__(self, api: ApiServices, settings: AlerterSettings) -> None:
        prefix = settings.redis_prefix
        self.api = api
        self.settings = settings
        self.sessions = SessionStore(
            api.redis, prefix, max(1, round(settings.console_session_minutes * 60))
        )
        self.acks = AckStore(api.redis, prefix)
        self.reader = StoryReader(api.stores.stories, api.redis)
        self.live = LiveStories(api.redis, api.stores.stories.changes_key)
        self.feeds = FeedRegistry(api.redis, prefix)
        self.admins = admin_teams(settings.console_admin_teams)
        self.tester = TestAlerts(settings, api.policy)

    async def close(self) -> None:
        await self.live.close()
        await self.tester.close()


def console(request: Request) -> ConsoleServices:
    state = request.app.state
    if getattr(state, "console", None) is None:
        state.console = ConsoleServices(services(request), state.console_settings)
    return state.console


def feedback_service(request: Request) -> FeedbackService:
    """The feedback router's service when it runs (one outbox publisher), else our own."""
    state = request.app.state
    if getattr(state, "feedback", None) is None:
        found = console(request)
        state.feedback = FeedbackService(found.api.redis, found.settings, "api")
    return state.feedback


async def current_session(request: Request) -> Session | None:
    """The request's console session, if its cookie names a live one whose key still works."""
    found = console(request)
    session = await found.sessions.get(request.cookies.get(COOKIE))
    if session is None:
        return None
    key = await found.api.stores.keys.get(session.key_id)
    if key is None or key.revoked_at is not None:
        await found.sessions.end(request.cookies.get(COOKIE))
        return None
    return session
