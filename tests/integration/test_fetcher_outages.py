"""The fetcher process outlives its Redis (kill -9) and its Kafka (stopped), says so in a few
lines, and publishes new entries once they are back, on private servers of the test's own."""

import asyncio
from datetime import UTC, datetime

import pytest

from newswatch.demo.feed import Story, render_rss
from newswatch.demo.receivers import HttpServer, Response
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.contracts import NewsItem
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.redis import create_redis
from tests.integration.helpers import read_topic, until
from tests.integration.service_process import MOST_LINES, ServiceProcess, outage

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
FAST = {
    "NEWSWATCH_FETCHER_FEEDS_FILE": "/nonexistent",
    "NEWSWATCH_FETCHER_MIN_INTERVAL_SECONDS": "1",
    "NEWSWATCH_FETCHER_MAX_INTERVAL_SECONDS": "1",
    "NEWSWATCH_FETCHER_REGISTRY_REFRESH_SECONDS": "0.5",
    "NEWSWATCH_FETCHER_DEPENDENCY_BACKOFF_MAX_SECONDS": "2",
}


class Wire:
    """A feed whose entries the test adds one at a time."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, Story, datetime]] = []
        self.http = HttpServer().start()
        self.http.routes["/wire.xml"] = lambda _: Response(
            200,
            render_rss("Wire", self.http.url, list(reversed(self.entries))),
            {"Content-Type": "application/rss+xml"},
        )
        self.url = f"{self.http.url}/wire.xml"

    def add(self, title: str) -> None:
        self.entries.append((f"w{len(self.entries)}", Story(title, "Text."), datetime.now(UTC)))


@pytest.fixture
def wire():
    feed = Wire()
    yield feed
    feed.http.stop()


async def start_fetcher(env: dict[str, str], wire: Wire, tmp_path) -> ServiceProcess:
    settings = FetcherSettings(**env)
    await ensure_topics(settings, [settings.topics.items])
    redis = create_redis(settings)
    try:
        await FeedRegistry(redis, settings.redis_prefix).add_missing(
            [FeedSpec(url=wire.url, name="Wire", interval_seconds=1)]
        )
    finally:
        await redis.aclose()
    return ServiceProcess("fetcher", {**env, **FAST}, tmp_path / "fetcher.log").start()


async def titles(env: dict[str, str], expect: int) -> list[str]:
    topic = FetcherSettings(**env).topics.items
    records = await read_topic(env["KAFKA_BOOTSTRAP_SERVERS"], topic, expect=expect, within=60)
    return [NewsItem.model_validate_json(r.value).title for r in records]


async def test_the_fetcher_outlives_a_redis_kill_9_and_polls_again_when_it_is_back(
    private_redis, server_env, wire, tmp_path
):
    env = {**server_env, "REDIS_URL": private_redis.url}
    wire.add("Before the outage")
    fetcher = await start_fetcher(env, wire, tmp_path)
    try:
        assert await titles(env, 1) == ["Before the outage"], fetcher.tail()
        await asyncio.sleep(1.5)  # the seen mark reaches Redis's append-only file (fsync 1 s)

        lines = await outage(fetcher, private_redis.kill9, noticed="fetcher: redis down")
        assert len(lines) < MOST_LINES, "\n".join(lines)
        wire.add("During the outage")
        await asyncio.to_thread(private_redis.start)
        wire.add("After the outage")

        published = await titles(env, 3)
        assert sorted(published) == ["After the outage", "Before the outage", "During the outage"]
        assert fetcher.logged("fetcher: redis back after") and fetcher.alive()
    finally:
        fetcher.stop()


async def test_the_fetcher_outlives_a_kafka_stop_and_publishes_what_came_meanwhile(
    private_kafka, server_env, wire, tmp_path
):
    env = {**server_env, "KAFKA_BOOTSTRAP_SERVERS": private_kafka.bootstrap}
    wire.add("Before the outage")
    fetcher = await start_fetcher(env, wire, tmp_path)
    try:
        assert await titles(env, 1) == ["Before the outage"], fetcher.tail()

        def stop_and_report() -> None:
            private_kafka.stop()
            wire.add("During the outage")  # the fetcher finds it and cannot publish it

        lines = await outage(fetcher, stop_and_report, noticed="Unable connect to node")
        assert len(lines) < MOST_LINES, "\n".join(lines)
        await asyncio.to_thread(private_kafka.start)
        wire.add("After the outage")

        published = await titles(env, 3)
        assert sorted(published) == ["After the outage", "Before the outage", "During the outage"]
        assert fetcher.alive()
    finally:
        fetcher.stop()


async def test_a_fetcher_started_before_its_redis_waits_for_it(
    private_redis, server_env, wire, tmp_path
):
    env = {**server_env, "REDIS_URL": private_redis.url}
    settings = FetcherSettings(**env)
    await ensure_topics(settings, [settings.topics.items])
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: {wire.url}\n    interval_seconds: 1\n")
    wire.add("Listed before Redis was up")
    await asyncio.to_thread(private_redis.stop)
    fetcher = ServiceProcess(
        "fetcher", {**env, **FAST, "NEWSWATCH_FETCHER_FEEDS_FILE": str(feeds)}, tmp_path / "f.log"
    ).start()
    try:
        await until(lambda: fetcher.alive() and fetcher.logged("fetcher: redis down"), within=30)
        await asyncio.to_thread(private_redis.start)
        assert await titles(env, 1) == ["Listed before Redis was up"], fetcher.tail()
        assert fetcher.logged("fetcher: redis back after") and fetcher.alive()
    finally:
        fetcher.stop()
