"""The 57 real-world feeds in ../shared/feeds/real, served over HTTP as their publishers do,
through the whole fetch path into Kafka: every feed yields the entries the parser finds."""

import gzip
from datetime import UTC, datetime

import pytest

from newswatch.demo.receivers import HttpServer, Response
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.http import build_client
from newswatch.fetcher.main import build_fetcher
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.contracts import NewsItem
from newswatch.shared.kafka import create_producer, ensure_topics
from newswatch.shared.redis import create_redis
from tests.conftest import shared_path
from tests.integration.helpers import read_topic

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
TYPES = {
    ".json": "application/feed+json",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
}


def route_for(path):
    body = path.read_bytes()
    headers = {"Content-Type": TYPES.get(path.suffix, "application/rss+xml")}
    if body[:2] == b"\x1f\x8b":  # stored compressed: served as publishers do, with Content-Encoding
        headers["Content-Encoding"] = "gzip"
    return lambda _: Response(200, body, headers)


async def test_every_real_feed_arrives_in_kafka_with_all_its_entries(env_settings, kafka_bootstrap):
    real = shared_path("feeds", "real")
    files = sorted(p for p in real.iterdir() if p.name != "MANIFEST.tsv")
    http = HttpServer().start()
    settings = FetcherSettings()
    await ensure_topics(settings, [settings.topics.items])
    expected: dict[str, int] = {}
    specs = []
    for path in files:
        http.routes[f"/{path.name}"] = route_for(path)
        spec = FeedSpec(url=f"{http.url}/{path.name}")
        specs.append(spec)
        body = path.read_bytes()
        body = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
        try:
            expected[spec.id] = len(normalise_feed(parse_feed(body), spec, datetime.now(UTC)))
        except FeedParseError:
            expected[spec.id] = 0
    redis = create_redis(settings)
    registry = FeedRegistry(redis, settings.redis_prefix)
    await registry.add_missing(specs)
    producer = create_producer(settings, "test-real")
    await producer.start()
    try:
        async with build_client(settings) as client:
            fetcher = build_fetcher(settings, redis, producer, client, shared=False)
            await fetcher.run_once()
    finally:
        await producer.stop()
        await redis.aclose()
        http.stop()
    records = await read_topic(
        kafka_bootstrap, settings.topics.items, expect=sum(expected.values()), within=60
    )
    per_feed: dict[str, int] = {}
    for record in records:
        item = NewsItem.model_validate_json(record.value)
        per_feed[item.feed_id] = per_feed.get(item.feed_id, 0) + 1
        assert item.title and "<p>" not in item.summary and "&amp;" not in item.summary
    assert {k: v for k, v in expected.items() if v} == per_feed
    assert sum(expected.values()) > 2000
