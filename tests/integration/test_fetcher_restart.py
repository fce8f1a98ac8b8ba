"""Stopping the fetcher in the middle of a cycle and starting it again publishes every entry once."""

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from newswatch.demo.feed import Story, render_rss
from newswatch.demo.receivers import HttpServer, Response
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.contracts import NewsItem
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.redis import create_redis
from tests.integration.helpers import read_topic, start_fetcher_process, until

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
FEEDS, ENTRIES = 150, 6


async def test_a_stop_mid_cycle_then_a_restart_republishes_nothing_and_misses_nothing(server_env):
    http = HttpServer().start()
    served = []
    when = datetime.now(UTC)
    for n in range(FEEDS):
        body = render_rss(
            f"F{n}",
            http.url,
            [
                (f"f{n}-e{e}", Story(f"Feed {n} entry {e}", "Text."), when - timedelta(minutes=e))
                for e in range(ENTRIES)
            ],
        )

        def serve(request, body=body):
            served.append(request.path)
            return Response(200, body, {"Content-Type": "application/rss+xml"})

        http.routes[f"/f{n}.xml"] = serve
    settings = FetcherSettings(**server_env)
    await ensure_topics(settings, [settings.topics.items])
    redis = create_redis(settings)
    await FeedRegistry(redis, settings.redis_prefix).add_missing(
        [FeedSpec(url=f"{http.url}/f{n}.xml", interval_seconds=3600) for n in range(FEEDS)]
    )
    try:
        first = start_fetcher_process(server_env, concurrency="4")
        await until(lambda: len(served) >= FEEDS // 3, within=60)
        first.send_signal(signal.SIGTERM)  # in the middle of the first cycle
        assert first.wait(timeout=30) == 0
        assert len(set(served)) < FEEDS, "stopped before the cycle ended"
        second = start_fetcher_process(server_env, concurrency="4")
        try:
            records = await read_topic(
                server_env["KAFKA_BOOTSTRAP_SERVERS"],
                settings.topics.items,
                expect=FEEDS * ENTRIES,
                within=90,
            )
            # The positive signal: a poll of every feed is recorded (by the first process, or by
            # the second for the feeds the first did not finish), which happens only after Kafka
            # acknowledged what that poll published. Republished items would be in the topic now.
            registry = FeedRegistry(redis, settings.redis_prefix)
            ids = await registry.ids()
            polled = 0
            deadline = time.monotonic() + 90
            while polled < FEEDS:
                assert time.monotonic() < deadline, f"{polled} of {FEEDS} polls recorded"
                assert second.poll() is None, "the second fetcher exited"
                await asyncio.sleep(0.5)
                health = await registry.health(ids)
                polled = sum(1 for h in health.values() if h.last_poll_at is not None)
            records += [
                r
                for r in await read_topic(
                    server_env["KAFKA_BOOTSTRAP_SERVERS"],
                    settings.topics.items,
                    expect=FEEDS * ENTRIES + 1,
                    within=2,
                )
            ][len(records) :]
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
    finally:
        http.stop()
        await redis.aclose()
    items = [NewsItem.model_validate_json(r.value) for r in records]
    assert len(items) == FEEDS * ENTRIES, "every entry, once"
    assert len({i.id for i in items}) == FEEDS * ENTRIES
