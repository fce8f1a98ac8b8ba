"""Every way a feed server can misbehave ends in its counted error or its recovered entries,
while a good feed beside them keeps flowing."""

import time

import pytest

from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.http import build_client
from newswatch.fetcher.main import build_fetcher
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.contracts import NewsItem
from newswatch.shared.kafka import create_producer, ensure_topics
from newswatch.shared.redis import create_redis
from tests.integration.helpers import read_topic
from tests.integration.hostile_server import HostileServer

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
FLOWING = ["/good.xml", "/wrong-type", "/bad-charset", "/brotli", "/deflate"]

EXPECTED = {
    "/drip": "timeout",
    "/endless": "too_large",
    "/big": "too_large",
    "/bomb": "too_large",
    "/loop": "redirects",
    "/html": "parse",
    "/500": "http_status",
    "/429": "http_status",
    "/reset": "network",
    "/empty": "parse",
}


async def test_hostile_feeds_fail_by_kind_and_good_ones_still_flow(env_settings, kafka_bootstrap):
    settings = FetcherSettings(
        read_timeout_seconds=1.0,
        connect_timeout_seconds=1.0,
        total_timeout_seconds=3.0,
        max_body_bytes=1_000_000,
        max_redirects=3,
        per_host_concurrency=20,  # every feed here is on 127.0.0.1
    )
    await ensure_topics(settings, [settings.topics.items])
    redis = create_redis(settings)
    registry = FeedRegistry(redis, settings.redis_prefix)
    producer = create_producer(settings, "test-hostile")
    await producer.start()
    try:
        async with HostileServer() as server, build_client(settings) as client:
            paths = [*EXPECTED, *FLOWING]
            specs = {p: FeedSpec(url=f"{server.url}{p}") for p in paths}
            specs["tls"] = FeedSpec(url=server.url.replace("http://", "https://") + "/good.xml")
            await registry.add_missing(list(specs.values()))
            fetcher = build_fetcher(settings, redis, producer, client, shared=False)
            started = time.monotonic()
            await fetcher.run_once()
            elapsed = time.monotonic() - started
        health = await registry.health([s.id for s in specs.values()])
        kinds = {path: health[spec.id].last_error_kind for path, spec in specs.items()}
        for path, kind in EXPECTED.items():
            assert kinds[path] == kind, f"{path}: {health[specs[path].id]}"
        assert kinds["tls"] == "tls"
        assert health[specs["/429"].id].next_poll_at.timestamp() - time.time() >= 100, (
            "Retry-After honoured"
        )
        for path in FLOWING:
            assert kinds[path] is None and health[specs[path].id].consecutive_failures == 0, path
        assert elapsed < 30, "one hostile server never holds the others up for long"
        counts = await registry.error_counts()
        assert counts["too_large"] == 3 and counts["parse"] == 2
    finally:
        await producer.stop()
        await redis.aclose()
    records = await read_topic(kafka_bootstrap, settings.topics.items, expect=5)
    titles = sorted(NewsItem.model_validate_json(r.value).title for r in records)
    assert titles == ["Harbour reopens"] * 4 + ["Élection à Genève"]
