"""The fetcher's loop: each feed polled when due, within global and per-host limits,
its health recorded, one failure never stopping the rest."""

import asyncio
import heapq
import logging
import random
from collections import defaultdict
from datetime import UTC, datetime
from urllib.parse import urlsplit

from newswatch.fetcher.dedupe import select_changes
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.http import FeedClient, FetchError, Validators, fetch_feed
from newswatch.fetcher.leases import LeaseManager
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed
from newswatch.fetcher.publish import ItemPublisher
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.schedule import Bounds, Failure, FeedHealth, Outcome, Success, after_poll
from newswatch.fetcher.state import FetcherState
from newswatch.shared.contracts import NewsItem
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.fetcher")


class Fetcher:
    def __init__(
        self,
        registry: FeedRegistry,
        client: FeedClient,
        state: FetcherState,
        publisher: ItemPublisher,
        *,
        bounds: Bounds,
        concurrency: int = 50,
        per_host: int = 2,
        max_body_bytes: int = 10 * 1024 * 1024,
        total_timeout: float = 60.0,
        max_redirects: int = 5,
        refresh_seconds: float = 5.0,
        leases: LeaseManager | None = None,
        counters: Counters | None = None,
    ) -> None:
        self._registry = registry
        self._client = client
        self._state = state
        self._publisher = publisher
        self._bounds = bounds
        self._slots = asyncio.Semaphore(concurrency)
        self._host_slots: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        self._max_body_bytes = max_body_bytes
        self._total_timeout = total_timeout
        self._max_redirects = max_redirects
        self._refresh_seconds = refresh_seconds
        self._leases = leases
        self.held: set[str] = set()  # feeds this instance may poll (all of them without leases)
        self._publishing: set[asyncio.Future[None]] = set()
        self.counters = counters or Counters()

    async def poll(self, feed: FeedSpec) -> int:
        """Fetch one feed and publish what is new or corrected; return how many items."""
        fetched_at = datetime.now(UTC)
        validators = await self._state.validators(feed.id)
        result = await fetch_feed(
            self._client,
            feed.url,
            validators,
            self._max_body_bytes,
            self._total_timeout,
            self._max_redirects,
        )
        if result.moved_to and result.moved_to != feed.url:
            log.info("feed %s moved permanently to %s", feed.id, result.moved_to)
            await self._registry.save(feed.model_copy(update={"url": result.moved_to}))
        if result.not_modified:
            self.counters.inc("feed_not_modified")
            return 0
        if validators.body_hash and result.validators.body_hash == validators.body_hash:
            self.counters.inc(
                "feed_unchanged"
            )  # no validators from the server, same bytes: no parse
            return 0
        raw = parse_feed(result.body, result.content_type)
        if raw.recovered_error:
            self.counters.inc("feed_recovered_malformed")
            log.info("feed %s is malformed but readable: %s", feed.id, raw.recovered_error)
        items = normalise_feed(raw, feed, fetched_at)
        known = await self._state.published(feed.id, [i.id for i in items])
        changes = select_changes(items, known)
        # A stop request (SIGTERM) waits for this step: items acknowledged by Kafka but not
        # yet marked in Redis would be published again after the restart.
        step = asyncio.ensure_future(self._publish_and_mark(feed, changes, result.validators))
        self._publishing.add(step)
        step.add_done_callback(self._publishing.discard)
        await asyncio.shield(step)
        self.counters.inc("items_published", len(changes))
        self.counters.inc("feed_polled")
        return len(changes)

    async def _publish_and_mark(
        self, feed: FeedSpec, changes: list[NewsItem], validators: Validators
    ) -> None:
        if changes:
            await self._publisher.publish(changes)
            await self._state.mark_published(feed.id, changes)
        # Saved last: had publishing failed, the next poll must not get a 304.
        await self._state.save_validators(feed.id, validators)

    async def poll_and_record(self, feed: FeedSpec, health: FeedHealth) -> FeedHealth:
        """Poll within the limits, turn any failure into a counted outcome, record the health."""
        host = urlsplit(feed.url).hostname or ""
        async with self._slots, self._host_slots[host]:
            outcome = await self._outcome(feed)
        health = after_poll(health, outcome, datetime.now(UTC), self._bounds)
        await self._registry.save_health(feed.id, health)
        return health

    async def _outcome(self, feed: FeedSpec) -> Outcome:
        try:
            count = await self.poll(feed)
        except FetchError as exc:
            return await self._failed(feed, exc.kind, str(exc), exc.retry_after)
        except FeedParseError as exc:
            return await self._failed(feed, "parse", str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Redis or Kafka trouble: nothing was marked seen, so the next poll retries.
            log.exception("feed %s: poll failed", feed.id)
            return await self._failed(feed, "internal", f"{type(exc).__name__}: {exc}")
        if count:
            log.info("feed %s: published %d item(s)", feed.id, count)
        return Success(count)

    async def _failed(
        self, feed: FeedSpec, kind: str, message: str, retry_after: float | None = None
    ) -> Failure:
        self.counters.inc(f"fetch_error.{kind}")
        log.warning("feed %s: %s error: %s", feed.id, kind, message)
        try:
            await self._registry.count_error(kind)
        except Exception:  # the count is for operators; losing one must not fail the poll
            log.debug("could not count error in Redis", exc_info=True)
        return Failure(kind, message, retry_after)

    async def run_once(self) -> None:
        feeds = [f for f in await self._registry.all() if not f.paused]
        healths = await self._registry.health([f.id for f in feeds])
        await asyncio.gather(
            *(self.poll_and_record(f, healths.get(f.id) or _new_health(f)) for f in feeds)
        )

    async def run_forever(self) -> None:
        """Poll every active feed this instance holds when due; follow registry and lease changes."""
        feeds: dict[str, FeedSpec] = {}
        healths: dict[str, FeedHealth] = {}
        due: list[tuple[float, str]] = []
        running: dict[str, asyncio.Task[FeedHealth]] = {}
        version = -1
        loop = asyncio.get_running_loop()
        next_refresh = 0.0
        try:
            while True:
                now = loop.time()
                if now >= next_refresh:
                    next_refresh = now + self._refresh_seconds
                    current = await self._registry.version()
                    if current != version:
                        version = current
                        feeds, healths, due = await self._reload(feeds, healths, now)
                    await self._share(feeds, healths, due, now)
                for feed_id, task in list(running.items()):
                    if task.done():
                        del running[feed_id]
                        if not task.cancelled() and task.exception() is None and feed_id in feeds:
                            healths[feed_id] = task.result()
                            heapq.heappush(due, (_due_in(healths[feed_id], now), feed_id))
                while due and due[0][0] <= now:
                    _, feed_id = heapq.heappop(due)
                    feed = feeds.get(feed_id)
                    if feed is None or feed.paused or feed_id in running:
                        continue  # removed, paused or already in flight since a reload
                    if feed_id not in self.held:
                        # Another instance's feed for now; look again after the next lease round.
                        heapq.heappush(due, (now + self._refresh_seconds, feed_id))
                        continue
                    health = healths.get(feed_id) or _new_health(feed)
                    running[feed_id] = asyncio.create_task(self.poll_and_record(feed, health))
                wait = min(1.0, max(0.05, (due[0][0] - now) if due else 1.0))
                await asyncio.sleep(wait)
        finally:
            await asyncio.shield(self._stop(running))

    async def _stop(self, running: dict[str, asyncio.Task[FeedHealth]]) -> None:
        """Cancel fetches in flight, but let their publish-and-mark steps finish."""
        for task in running.values():
            task.cancel()
        await asyncio.gather(*running.values(), return_exceptions=True)
        await asyncio.gather(*self._publishing, return_exceptions=True)
        if self._leases is not None:
            await self._release()

    async def _share(
        self,
        feeds: dict[str, FeedSpec],
        healths: dict[str, FeedHealth],
        due: list[tuple[float, str]],
        now: float,
    ) -> None:
        if self._leases is None:
            self.held = set(feeds)
            return
        active = [i for i, f in feeds.items() if not f.paused]
        try:
            held = await self._leases.maintain(active)
        except Exception:
            log.exception("fetcher: lease round failed; keeping the feeds held so far")
            return
        taken_over = held - self.held
        if taken_over:
            # Polled elsewhere until now: continue from the health that instance recorded.
            healths.update(await self._registry.health(sorted(taken_over)))
            for feed_id in taken_over:
                heapq.heappush(
                    due,
                    (_due_in(healths.get(feed_id) or _new_health(feeds[feed_id]), now), feed_id),
                )
        if taken_over or len(held) != len(self.held):
            log.info(
                "fetcher %s: holds %d of %d feed(s)", self._leases.instance, len(held), len(active)
            )
        self.held = held

    async def _release(self) -> None:
        assert self._leases is not None
        try:
            await self._leases.release_all(self.held)
        except Exception:
            log.warning("fetcher: could not release leases; they lapse on their own", exc_info=True)

    async def _reload(
        self, old: dict[str, FeedSpec], healths: dict[str, FeedHealth], now: float
    ) -> tuple[dict[str, FeedSpec], dict[str, FeedHealth], list[tuple[float, str]]]:
        feeds = {f.id: f for f in await self._registry.all()}
        stored = await self._registry.health(list(feeds))
        healths = {i: healths.get(i) or stored.get(i) or _new_health(f) for i, f in feeds.items()}
        added = len(feeds.keys() - old.keys())
        if added or len(old) != len(feeds):
            log.info("fetcher: %d feed(s) registered (%d new)", len(feeds), added)
        # Feeds due already (or never polled) are spread over a few seconds, not fired at once.
        due = [
            (_due_in(healths[i], now, spread=min(5.0, 0.002 * len(feeds) + 1.0)), i)
            for i, f in feeds.items()
            if not f.paused
        ]
        heapq.heapify(due)
        return feeds, healths, due


def _new_health(feed: FeedSpec) -> FeedHealth:
    return FeedHealth(interval_seconds=feed.interval_seconds)


def _due_in(health: FeedHealth, now: float, spread: float = 0.0) -> float:
    """Loop time at which the feed is due, from its stored wall-clock next_poll_at."""
    if health.next_poll_at is None:
        return now + random.uniform(0, spread)
    seconds = (health.next_poll_at - datetime.now(UTC)).total_seconds()
    return now + (seconds if seconds > 0 else random.uniform(0, spread))
