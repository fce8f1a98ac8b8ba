"""The fetcher: each feed polled when due (see rounds.py), within global and per-host limits,
its health recorded, one failure never stopping the rest, a Redis or Kafka outage ending nothing."""

import asyncio
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from newswatch.fetcher.dedupe import select_changes
from newswatch.fetcher.dependencies import KAFKA, REDIS, Dependencies, dependency_of
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.http import FeedClient, FetchError, Validators, fetch_feed
from newswatch.fetcher.leases import LeaseManager
from newswatch.fetcher.metrics import POLL_SECONDS
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed
from newswatch.fetcher.publish import ItemPublisher
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.rounds import Rounds, new_health
from newswatch.fetcher.schedule import Bounds, Failure, FeedHealth, Outcome, Success, after_poll
from newswatch.fetcher.state import FetcherState
from newswatch.shared.contracts import NewsItem
from newswatch.shared.observability import Counters
from newswatch.shared.outage import Backoff

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
        dependency_backoff: Backoff | None = None,
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
        self._publishing: set[asyncio.Future[None]] = set()
        self.counters = counters or Counters()
        self.dependencies = Dependencies(
            time.monotonic, self.counters, dependency_backoff or Backoff()
        )

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
            self.counters.inc("feed_unchanged")  # no validators from the server, same bytes
            return 0
        raw = parse_feed(result.body, result.content_type)
        self.counters.inc(f"feed_parsed.{raw.reader}")
        if raw.recovered_error:
            self.counters.inc("feed_recovered_malformed")
            log.info("feed %s is malformed but readable: %s", feed.id, raw.recovered_error)
        items = normalise_feed(raw, feed, fetched_at)
        received = result.validators
        # Bodies run to megabytes and their parse to several times that: not held through the
        # waits on Redis and Kafka below, while up to NEWSWATCH_FETCHER_CONCURRENCY polls wait.
        del raw, result
        known = await self._state.published(feed.id, [i.id for i in items])
        changes = select_changes(items, known)
        # A stop request (SIGTERM) waits for this step: items acknowledged by Kafka but not
        # yet marked in Redis would be published again after the restart.
        step = asyncio.ensure_future(self._publish_and_mark(feed, changes, received))
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
            self.dependencies.succeeded(KAFKA)
            await self._state.mark_published(feed.id, changes)
        # Saved last: had publishing failed, the next poll must not get a 304.
        await self._state.save_validators(feed.id, validators)

    async def poll_and_record(self, feed: FeedSpec, health: FeedHealth) -> FeedHealth:
        """Poll within the limits, turn any failure into a counted outcome, record the health."""
        host = urlsplit(feed.url).hostname or ""
        async with self._slots, self._host_slots[host]:
            started = time.monotonic()
            outcome = await self._outcome(feed)
            POLL_SECONDS.observe(time.monotonic() - started)
        if isinstance(outcome, _Deferred):
            # Not the feed's fault: its health stays, only the next try moves.
            wait = outcome.retry_at - time.monotonic() + random.uniform(0, 1.0)
            next_poll = datetime.now(UTC) + timedelta(seconds=max(wait, 0.0))
            return health.model_copy(update={"next_poll_at": next_poll})
        health = after_poll(health, outcome, datetime.now(UTC), self._bounds)
        try:
            await self._registry.save_health(feed.id, health)
        except Exception as exc:  # kept in memory; saved with the next poll
            self._dependency_failed(exc)
        return health

    def _dependency_failed(self, exc: Exception) -> "_Deferred":
        """Record a Redis or Kafka failure; re-raise anything else."""
        name = dependency_of(exc)
        if name is None:
            raise exc
        return _Deferred(self.dependencies.failed(name, exc))

    async def _outcome(self, feed: FeedSpec) -> "Outcome | _Deferred":
        try:
            count = await self.poll(feed)
        except FetchError as exc:
            return await self._failed(feed, exc.kind, str(exc), exc.retry_after)
        except FeedParseError as exc:
            return await self._failed(feed, "parse", str(exc))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if dependency_of(exc) is not None:
                # Redis or Kafka away: nothing was marked seen, so the next poll retries.
                return self._dependency_failed(exc)
            log.exception("feed %s: poll failed", feed.id)
            return await self._failed(feed, "internal", f"{type(exc).__name__}: {exc}")
        self.dependencies.succeeded(REDIS)
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
            *(self.poll_and_record(f, healths.get(f.id) or new_health(f)) for f in feeds)
        )

    async def run_forever(self) -> None:
        """Poll every active feed this instance holds when due; follow registry and lease changes.

        Redis or Kafka going away ends nothing: the rounds back off and carry on alone."""
        rounds = Rounds(
            self._registry,
            self._leases,
            self.dependencies,
            self.poll_and_record,
            refresh_seconds=self._refresh_seconds,
            retry_crashed_after=self._bounds.min_interval,
        )
        self.rounds = rounds  # read by the health probe (feeds overdue)
        try:
            await rounds.run()
        finally:
            await asyncio.shield(self._stop(rounds))

    async def _stop(self, rounds: Rounds) -> None:
        """Cancel fetches in flight, but let their publish-and-mark steps finish."""
        await rounds.cancel_polls()
        await asyncio.gather(*self._publishing, return_exceptions=True)
        await rounds.release()


@dataclass(frozen=True, slots=True)
class _Deferred:
    """A poll that Redis or Kafka stopped: try again at ``retry_at`` (time.monotonic)."""

    retry_at: float
