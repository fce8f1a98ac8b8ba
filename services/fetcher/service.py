"""The fetcher's loop: every feed on its own schedule, one failure never stopping the rest."""

import asyncio
import logging
import random
from datetime import UTC, datetime

import httpx

from newswatch.fetcher.dedupe import select_changes
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.http import FetchError, fetch_feed
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed
from newswatch.fetcher.publish import ItemPublisher
from newswatch.fetcher.state import FetcherState
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.fetcher")


class Fetcher:
    def __init__(
        self,
        feeds: list[FeedSpec],
        client: httpx.AsyncClient,
        state: FetcherState,
        publisher: ItemPublisher,
        *,
        concurrency: int,
        max_body_bytes: int,
        counters: Counters | None = None,
    ) -> None:
        self.feeds = feeds
        self._client = client
        self._state = state
        self._publisher = publisher
        self._slots = asyncio.Semaphore(concurrency)
        self._max_body_bytes = max_body_bytes
        self.counters = counters or Counters()

    async def poll(self, feed: FeedSpec) -> int:
        """Fetch one feed and publish what is new or corrected; return how many items."""
        async with self._slots:
            fetched_at = datetime.now(UTC)
            validators = await self._state.validators(feed.id)
            result = await fetch_feed(self._client, feed.url, validators, self._max_body_bytes)
            if result.not_modified:
                self.counters.inc("feed_not_modified")
                return 0
            raw = parse_feed(result.body, result.content_type, result.url)
            if raw.recovered_error:
                self.counters.inc("feed_recovered_malformed")
                log.info("feed %s is malformed but readable: %s", feed.id, raw.recovered_error)
            items = normalise_feed(raw, feed, fetched_at)
            known = await self._state.published(feed.id, [i.id for i in items])
            changes = select_changes(items, known)
            if changes:
                await self._publisher.publish(changes)
                await self._state.mark_published(feed.id, changes)
            # Saved last: had publishing failed, the next poll must not get a 304.
            await self._state.save_validators(feed.id, result.validators)
            self.counters.inc("items_published", len(changes))
            self.counters.inc("feed_polled")
            return len(changes)

    async def poll_safely(self, feed: FeedSpec) -> float | None:
        """Poll, turning every failure into a log line and a counter; return a Retry-After."""
        try:
            count = await self.poll(feed)
            if count:
                log.info("feed %s: published %d item(s)", feed.id, count)
        except FetchError as exc:
            self.counters.inc(f"fetch_error.{exc.kind}")
            log.warning("feed %s: %s error: %s", feed.id, exc.kind, exc)
            return exc.retry_after
        except FeedParseError as exc:
            self.counters.inc("fetch_error.parse")
            log.warning("feed %s: parse error: %s", feed.id, exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Redis or Kafka trouble: nothing was marked seen, so the next poll retries.
            self.counters.inc("fetch_error.internal")
            log.exception("feed %s: poll failed", feed.id)
        return None

    async def run_once(self) -> None:
        await asyncio.gather(*(self.poll_safely(feed) for feed in self.feeds))

    async def run_forever(self) -> None:
        await asyncio.gather(*(self._schedule(feed) for feed in self.feeds))

    async def _schedule(self, feed: FeedSpec) -> None:
        # Spread first polls over a short window so a restart does not burst every feed at once.
        await asyncio.sleep(random.uniform(0, min(feed.interval_seconds, 5.0)))
        while True:
            retry_after = await self.poll_safely(feed)
            delay = feed.interval_seconds * random.uniform(0.9, 1.1)
            if retry_after is not None:
                delay = max(delay, retry_after)
            await asyncio.sleep(delay)
