"""The fetcher's rounds: which feeds are due, which this instance holds, which polls to start.

Each round (about once a second) refreshes the registry and the leases when it is time,
takes in finished polls and starts the ones due. Redis is needed for every poll, so while
it is away no poll starts and the refresh, backed off, is the probe that finds it back.
"""

import asyncio
import heapq
import logging
import random
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newswatch.fetcher.dependencies import REDIS, Dependencies, dependency_of
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.leases import LeaseManager
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.schedule import FeedHealth

log = logging.getLogger("newswatch.fetcher")
Poll = Callable[[FeedSpec, FeedHealth], Coroutine[Any, Any, FeedHealth]]


@dataclass(slots=True)
class Plan:
    """What the rounds keep: the feeds, their health, when each is due, the polls in flight."""

    feeds: dict[str, FeedSpec] = field(default_factory=dict)
    healths: dict[str, FeedHealth] = field(default_factory=dict)
    due: list[tuple[float, str]] = field(default_factory=list)  # a heap of (time, feed id)
    running: dict[str, asyncio.Task[FeedHealth]] = field(default_factory=dict)
    version: int = -1
    next_refresh: float = 0.0


class Rounds:
    def __init__(
        self,
        registry: FeedRegistry,
        leases: LeaseManager | None,
        dependencies: Dependencies,
        poll: Poll,
        *,
        refresh_seconds: float,
        retry_crashed_after: float,
    ) -> None:
        self._registry = registry
        self._leases = leases
        self._dependencies = dependencies
        self._poll = poll
        self._refresh_seconds = refresh_seconds
        self._retry_crashed_after = retry_crashed_after
        self.held: set[str] = set()  # feeds this instance may poll (all of them without leases)
        self.plan = Plan()

    async def run(self) -> None:
        plan = self.plan
        while True:
            now = time.monotonic()  # the clock of the dependencies' retry times
            if now >= plan.next_refresh:
                await self._refresh(now)
            self._collect(now)
            if not self._dependencies.down(REDIS):  # every poll starts with Redis
                self._launch_due(now)
            await asyncio.sleep(min(1.0, max(0.05, (plan.due[0][0] - now) if plan.due else 1.0)))

    async def _refresh(self, now: float) -> None:
        """Follow the registry and the leases; while Redis is away, this is the probe."""
        plan = self.plan
        try:
            current = await self._registry.version()
            if current != plan.version:
                await self._reload(now)
                plan.version = current  # only once reloaded: a failed reload is tried again
            await self._share(now)
        except Exception as exc:
            name = dependency_of(exc)
            if name is None:
                raise
            plan.next_refresh = self._dependencies.failed(name, exc)
            return
        self._dependencies.succeeded(REDIS)
        plan.next_refresh = now + self._refresh_seconds

    def _collect(self, now: float) -> None:
        """Take in finished polls: their feeds' new health and next due time."""
        plan = self.plan
        for feed_id, task in list(plan.running.items()):
            if not task.done():
                continue
            del plan.running[feed_id]
            if task.cancelled() or feed_id not in plan.feeds:
                continue
            if task.exception() is not None:
                # A bug (outages are outcomes, not exceptions): logged; the feed stays scheduled.
                log.error("feed %s: poll crashed", feed_id, exc_info=task.exception())
                heapq.heappush(plan.due, (now + self._retry_crashed_after, feed_id))
                continue
            plan.healths[feed_id] = task.result()
            heapq.heappush(plan.due, (due_in(plan.healths[feed_id], now), feed_id))

    def _launch_due(self, now: float) -> None:
        """Start a poll for every feed that is due, held by this instance and not in flight."""
        plan = self.plan
        while plan.due and plan.due[0][0] <= now:
            _, feed_id = heapq.heappop(plan.due)
            feed = plan.feeds.get(feed_id)
            if feed is None or feed.paused or feed_id in plan.running:
                continue  # removed, paused or already in flight since a reload
            if feed_id not in self.held:
                # Another instance's feed for now; look again after the next lease round.
                heapq.heappush(plan.due, (now + self._refresh_seconds, feed_id))
                continue
            health = plan.healths.get(feed_id) or new_health(feed)
            plan.running[feed_id] = asyncio.create_task(self._poll(feed, health))

    async def _reload(self, now: float) -> None:
        plan = self.plan
        feeds = {f.id: f for f in await self._registry.all()}
        stored = await self._registry.health(list(feeds))
        added = len(feeds.keys() - plan.feeds.keys())
        if added or len(plan.feeds) != len(feeds):
            log.info("fetcher: %d feed(s) registered (%d new)", len(feeds), added)
        plan.healths = {
            i: plan.healths.get(i) or stored.get(i) or new_health(f) for i, f in feeds.items()
        }
        plan.feeds = feeds
        # Feeds due already (or never polled) are spread over a few seconds, not fired at once.
        spread = min(5.0, 0.002 * len(feeds) + 1.0)
        plan.due = [
            (due_in(plan.healths[i], now, spread), i) for i, f in feeds.items() if not f.paused
        ]
        heapq.heapify(plan.due)

    async def _share(self, now: float) -> None:
        plan = self.plan
        if self._leases is None:
            self.held = set(plan.feeds)
            return
        active = [i for i, f in plan.feeds.items() if not f.paused]
        try:
            held = await self._leases.maintain(active)
        except Exception as exc:
            if dependency_of(exc) is not None:
                raise  # the refresh backs off and logs it once
            log.exception("fetcher: lease round failed; keeping the feeds held so far")
            return
        taken_over = held - self.held
        if taken_over:
            # Polled elsewhere until now: continue from the health that instance recorded.
            plan.healths.update(await self._registry.health(sorted(taken_over)))
            for feed_id in taken_over:
                health = plan.healths.get(feed_id) or new_health(plan.feeds[feed_id])
                heapq.heappush(plan.due, (due_in(health, now), feed_id))
        if taken_over or len(held) != len(self.held):
            log.info(
                "fetcher %s: holds %d of %d feed(s)", self._leases.instance, len(held), len(active)
            )
        self.held = held

    async def cancel_polls(self) -> None:
        running = self.plan.running.values()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    async def release(self) -> None:
        """Give this instance's leases back (on a clean stop), if it shares feeds."""
        if self._leases is None:
            return
        try:
            await self._leases.release_all(self.held)
        except Exception:
            log.warning("fetcher: could not release leases; they lapse on their own", exc_info=True)


def new_health(feed: FeedSpec) -> FeedHealth:
    return FeedHealth(interval_seconds=feed.interval_seconds)


def due_in(health: FeedHealth, now: float, spread: float = 0.0) -> float:
    """Clock time at which the feed is due, from its stored wall-clock next_poll_at."""
    if health.next_poll_at is None:
        return now + random.uniform(0, spread)
    seconds = (health.next_poll_at - datetime.now(UTC)).total_seconds()
    return now + (seconds if seconds > 0 else random.uniform(0, spread))
