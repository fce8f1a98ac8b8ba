"""The fetcher against a real feed server, Kafka and Redis: publish once, remember across restarts."""

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from newswatch.demo.feed import Story, render_rss
from newswatch.demo.receivers import HttpServer, Response
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.http import build_client
from newswatch.fetcher.main import build_fetcher
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.service import Fetcher
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.contracts import NewsItem
from newswatch.shared.kafka import create_producer, ensure_topics
from newswatch.shared.observability import Counters
from newswatch.shared.redis import create_redis
from tests.integration.helpers import read_topic, until

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
PUBLISHED = datetime(2025, 9, 2, 6, 0, tzinfo=UTC)


class FeedServer:
    def __init__(self) -> None:
        self.stories = [
            Story("Shelling kills two in Kherson", "Artillery fire hit a market."),
            Story("Harbour festival opens", "Boats and music all weekend."),
        ]
        self.etag = '"v1"'
        self.server = HttpServer().start()
        self.server.routes["/feed.xml"] = self._serve
        self.requests = 0
        self.not_modified = 0

    def _serve(self, request):
        self.requests += 1
        if request.headers.get("if-none-match") == self.etag:
            self.not_modified += 1
            return Response(304)
        entries = [(f"g{n}", s, PUBLISHED) for n, s in enumerate(self.stories)]
        return Response(
            200,
            render_rss("Local", self.server.url, entries),
            {"Content-Type": "application/rss+xml", "ETag": self.etag},
        )


@pytest.fixture
def feed_server():
    server = FeedServer()
    yield server
    server.server.stop()


async def make_fetcher(
    settings, feed_urls, producer, redis, client, max_interval: float = 3600
) -> Fetcher:
    """A lone fetcher over these feeds, with real adapters (as `newswatch fetcher` builds it)."""
    await FeedRegistry(redis, settings.redis_prefix).add_missing(
        [FeedSpec(url=u, name="Local") for u in feed_urls]
    )
    tuned = settings.model_copy(
        update={
            "min_interval_seconds": 1,
            "max_interval_seconds": max_interval,
            "concurrency": 4,
            "max_body_bytes": 1_000_000,
            "registry_refresh_seconds": 0.2,
        }
    )
    return build_fetcher(tuned, redis, producer, client, shared=False)


async def run_as_new_process(settings, redis, feed_urls, cycles: int = 1) -> Counters:
    """A fetcher with fresh Kafka and HTTP clients, as after a restart; what Redis holds stays."""
    producer = create_producer(settings, "test-fetcher")
    await producer.start()
    try:
        async with build_client(settings) as client:
            fetcher = await make_fetcher(settings, feed_urls, producer, redis, client)
            for _ in range(cycles):
                await fetcher.run_once()
            return fetcher.counters
    finally:
        await producer.stop()


async def test_fetcher_publishes_each_entry_once_across_restarts_and_corrections(
    env_settings, kafka_bootstrap, feed_server
):
    settings = FetcherSettings()
    await ensure_topics(settings, [settings.topics.items])
    feed_url = f"{feed_server.server.url}/feed.xml"
    redis = create_redis(settings)
    try:
        for run in range(2):  # the second run stands for a restarted process
            counters = await run_as_new_process(settings, redis, [feed_url], cycles=2)
            assert counters.get("items_published") == (2 if run == 0 else 0)
        assert feed_server.not_modified >= 2, "the conditional GET with the saved ETag answered 304"

        # The publisher corrects a title: same story id, next revision.
        feed_server.stories[0] = Story(
            "Shelling kills three in Kherson", "Artillery fire hit a market."
        )
        feed_server.etag = '"v2"'
        await run_as_new_process(settings, redis, [feed_url])
    finally:
        await redis.aclose()

    records = await read_topic(kafka_bootstrap, settings.topics.items, expect=3)
    items = [NewsItem.model_validate_json(r.value) for r in records]
    assert len(items) == 3
    first, update = [i for i in items if "Kherson" in i.title]
    assert update.id == first.id and (first.revision, update.revision) == (1, 2)
    assert update.title == "Shelling kills three in Kherson"
    assert all(r.key == i.id.encode() for r, i in zip(records, items, strict=True))


async def test_a_failing_feed_is_counted_and_the_others_still_flow(
    env_settings, kafka_bootstrap, feed_server
):
    settings = FetcherSettings()
    await ensure_topics(settings, [settings.topics.items])
    feed_server.server.routes["/broken.xml"] = lambda _: Response(500, b"oops")
    feed_server.server.routes["/page.html"] = lambda _: Response(
        200, b"<html><body>hi</body></html>"
    )
    redis = create_redis(settings)
    producer = create_producer(settings, "test-fetcher")
    await producer.start()
    try:
        async with build_client(settings) as client:
            urls = [
                f"{feed_server.server.url}{p}" for p in ("/broken.xml", "/page.html", "/feed.xml")
            ]
            fetcher = await make_fetcher(settings, urls, producer, redis, client)
            await fetcher.run_once()
        assert fetcher.counters.get("fetch_error.http_status") == 1
        assert fetcher.counters.get("fetch_error.parse") == 1
        assert fetcher.counters.get("items_published") == 2
        registry = FeedRegistry(redis, settings.redis_prefix)
        assert await registry.error_counts() == {"http_status": 1, "parse": 1}
        health = await registry.health([f.id for f in await registry.all()])
        broken = next(h for h in health.values() if h.last_error_kind == "http_status")
        assert broken.consecutive_failures == 1 and broken.next_poll_at is not None
    finally:
        await producer.stop()
        await redis.aclose()


async def test_feeds_added_paused_and_moved_at_run_time_are_followed(
    env_settings, kafka_bootstrap, feed_server
):
    settings = FetcherSettings()
    await ensure_topics(settings, [settings.topics.items])
    http = feed_server.server
    http.routes["/old.xml"] = lambda _: Response(301, b"", {"Location": "/feed.xml"})
    other = render_rss(
        "Other", http.url, [("o1", Story("Ferry service resumes", "Calm."), PUBLISHED)]
    )
    http.routes["/active.xml"] = lambda _: Response(
        200, other, {"Content-Type": "application/rss+xml"}
    )
    served: Counter[str] = Counter()  # GET requests per path (the server records only POSTs)
    for path in ("/feed.xml", "/active.xml"):
        http.routes[path] = lambda request, route=http.routes[path], path=path: (
            served.update([path]) or route(request)
        )
    polls = served.__getitem__
    redis = create_redis(settings)
    registry = FeedRegistry(redis, settings.redis_prefix)
    producer = create_producer(settings, "test-fetcher")
    await producer.start()
    try:
        async with build_client(settings) as client:
            # Every feed at a 1 s interval, so a paused feed that was still polled would show.
            fetcher = await make_fetcher(settings, [], producer, redis, client, max_interval=1)
            loop = asyncio.create_task(fetcher.run_forever())
            try:
                moved = FeedSpec(url=f"{http.url}/old.xml", name="Moved", interval_seconds=1)
                active = FeedSpec(url=f"{http.url}/active.xml", name="Active", interval_seconds=1)
                await registry.save(moved)  # added while the fetcher runs
                await registry.save(active)
                await until(lambda: fetcher.counters.get("items_published") == 3, within=20)
                assert (await registry.find(moved.id)).url == f"{http.url}/feed.xml"
                await until(lambda: polls("/feed.xml") >= 3, within=20)  # it is polled often

                await registry.save(
                    (await registry.find(moved.id)).model_copy(update={"paused": True})
                )
                # The positive signal first: the active feed polled twice since the pause
                # (the registry is re-read every 0.2 s), then three times more ...
                since_pause = polls("/active.xml")
                await until(lambda: polls("/active.xml") >= since_pause + 2, within=20)
                paused_polls, active_polls = polls("/feed.xml"), polls("/active.xml")
                await until(lambda: polls("/active.xml") >= active_polls + 3, within=20)
                # ... while the paused one, at the same interval, was not polled at all.
                assert polls("/feed.xml") == paused_polls, "a paused feed is not polled"
            finally:
                loop.cancel()
                await asyncio.gather(loop, return_exceptions=True)
    finally:
        await producer.stop()
        await redis.aclose()
