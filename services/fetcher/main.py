"""Composition root: builds the real adapters and runs the fetcher."""

import logging

from newswatch.fetcher.feeds import load_feed_list
from newswatch.fetcher.http import build_client
from newswatch.fetcher.publish import ItemPublisher
from newswatch.fetcher.service import Fetcher
from newswatch.fetcher.settings import FetcherSettings
from newswatch.fetcher.state import FetcherState
from newswatch.shared.kafka import create_producer, ensure_topics, start_with_retry
from newswatch.shared.lifecycle import run_service
from newswatch.shared.redis import create_redis

log = logging.getLogger("newswatch.fetcher")


async def run(settings: FetcherSettings) -> None:
    feeds = load_feed_list(settings.feeds_file)
    for feed in feeds:
        if "interval_seconds" not in feed.model_fields_set:
            feed.interval_seconds = settings.default_interval_seconds
    log.info("fetcher: %d feed(s) from %s", len(feeds), settings.feeds_file)
    await ensure_topics(settings, [settings.topics.items])
    redis = create_redis(settings)
    producer = create_producer(settings, "newswatch-fetcher")
    await start_with_retry(producer, "fetcher")
    try:
        async with build_client(settings) as client:
            fetcher = Fetcher(
                feeds,
                client,
                FetcherState(redis, settings.redis_prefix),
                ItemPublisher(producer, settings.topics.items),
                concurrency=settings.concurrency,
                max_body_bytes=settings.max_body_bytes,
            )
            try:
                if settings.once:
                    await fetcher.run_once()
                else:
                    await fetcher.run_forever()
            finally:
                log.info("fetcher counters: %s", fetcher.counters.summary())
    finally:
        await producer.stop()
        await redis.aclose()


def main(settings: FetcherSettings | None = None) -> None:
    run_service(run(settings or FetcherSettings()))
