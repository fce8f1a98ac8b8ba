"""The watch-officer console: server-rendered pages served by ``newswatch api`` at ``/``.

Sign in with a team API key, then a session cookie (see ``sessions``); a live stream of
stories (``live``, ``story_pages``), each story's page with its timeline, deliveries,
acknowledgement and feedback, the team's subscriptions (``subscription_pages``) and, for
administrators, the feeds' health. Jinja2 templates, one stylesheet and one small script,
all served from here.
"""

from newswatch.alerter.web.console.routes import console_router

__all__ = ["console_router"]
