"""'Send a test alert': a made-up alert through each of a subscription's channels, now.

It goes out from the API process through the same channel plugins, HTTP client and
address policy as real alerts (a refused address is refused here too), and is not
queued, retried or recorded: the officer sees at once whether each destination works.
"""

import asyncio
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.alert import Alert
from newswatch.alerter.channels import Channel, build_channels
from newswatch.alerter.channels.http import Poster, build_session
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ClassifiedItem, NewsItem, Subscription, TagHit
from newswatch.shared.contracts.base import utc_now

TEST_FEED = "newswatch-console-test"


@dataclass(frozen=True, slots=True)
class TestOutcome:
    channel: str
    target: str  # masked
    ok: bool
    error: str = ""


def test_alert(subscription: Subscription) -> Alert:
    """An alert that says plainly it is a test, carrying the subscription's tags."""
    now = utc_now()
    item = ClassifiedItem(
        item=NewsItem(
            id=secrets.token_hex(16),
            feed_id=TEST_FEED,
            feed_url="https://newswatch.invalid/console-test",
            source="newswatch console",
            title=f"Test alert for subscription {subscription.id}: no news, just checking",
            summary="Sent from the newswatch console to check that this destination works.",
            published_at=now,
            fetched_at=now,
            language="en",
        ),
        tags=[TagHit(tag=t, confidence=1.0) for t in (subscription.tags or subscription.all_tags)],
        classifier_version="console-test",
    )
    return Alert(
        delivery_id=f"test-{secrets.token_hex(8)}",
        subscription_id=subscription.id,
        item=item,
        hits=list(item.tags),
    )


class TestAlerts:
    """Channels built on first use (an HTTP session needs the running loop), closed with it."""

    def __init__(self, settings: AlerterSettings, policy: AddressPolicy) -> None:
        self._settings = settings
        self._policy = policy
        self._session: aiohttp.ClientSession | None = None
        self._channels: dict[str, Channel] = {}

    def _ready(self) -> dict[str, Channel]:
        if self._session is None:
            self._session = build_session(
                self._policy,
                timeout=self._settings.http_timeout_seconds,
                connections=10,
                user_agent="newswatch-console/0.1",
            )
            self._channels = build_channels(self._settings, Poster(self._session, self._policy))
        return self._channels

    async def send(self, subscription: Subscription) -> list[TestOutcome]:
        channels = self._ready()
        alert = test_alert(subscription)

        async def one(target: Any) -> TestOutcome:
            channel = channels.get(target.kind)
            if channel is None:
                return TestOutcome(target.kind, target.target, False, "unknown channel")
            shown = channel.mask(target)
            try:
                await channel.send(alert, target)
            except Exception as exc:  # every failure is the answer to show, whatever its kind
                return TestOutcome(target.kind, shown, False, str(exc) or type(exc).__name__)
            return TestOutcome(target.kind, shown, True)

        return list(await asyncio.gather(*(one(t) for t in subscription.channels)))

    async def close(self) -> None:
        if self._session is not None:
            for channel in self._channels.values():
                await channel.close()
            await self._session.close()
            self._session = None
