"""Composition root: builds the real adapters and runs the fetcher."""

import asyncio
import logging
import os
import random
import secrets
import socket
import time

from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from newswatch.fetcher.feeds import FeedSpec, load_feed_list
from newswatch.fetcher.http import FeedClient, build_client
from newswatch.fetcher.leases import LeaseManager
from newswatch.fetcher.metrics import ROUTES, readiness
from newswatch.fetcher.publish import ItemPublisher
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.schedule import Bounds
from newswatch.fetcher.service import Fetcher
from newswatch.fetcher.settings import FetcherSettings
from newswatch.fetcher.state import FetcherState
from newswatch.shared.health import Health
from newswatch.shared.kafka import create_producer, ensure_topics, start_with_retry
from newswatch.shared.lifecycle import run_service
from newswatch.shared.observability import Counters
from newswatch.shared.outage import Backoff, OutageLog, describe
from newswatch.shared.redis import create_redis

log = logging.getLogger("newswatch.fetcher")


def build_fetcher(
    settings: FetcherSettings,
    redis: Redis,
    producer: AIOKafkaProducer,
    client: FeedClient,
    *,
    shared: bool = True,
) -> Fetcher:
    """The fetcher with real adapters; ``shared``: feeds are split with other instances by leases."""
    return Fetcher(
        FeedRegistry(redis, settings.redis_prefix),
        client,
        FetcherState(redis, settings.redis_prefix),
        ItemPublisher(producer, settings.topics.items),
        bounds=Bounds(
            settings.min_interval_seconds,
            settings.max_interval_seconds,
            settings.max_backoff_seconds,
        ),
        concurrency=settings.concurrency,
        per_host=settings.per_host_concurrency,
        max_body_bytes=settings.max_body_bytes,
        total_timeout=settings.total_timeout_seconds,
        max_redirects=settings.max_redirects,
        refresh_seconds=settings.registry_refresh_seconds,
        dependency_backoff=Backoff(cap=settings.dependency_backoff_max_seconds),
        counters=Counters(ROUTES),  # each count also goes to /metrics
        leases=LeaseManager(
            redis, settings.redis_prefix, _instance_id(), settings.lease_ttl_seconds
        )
        if shared
        else None,
    )


def _instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


async def _seed(registry: FeedRegistry, feeds: list[FeedSpec]) -> list[FeedSpec]:
    """Register the listed feeds, waiting up to a minute for a Redis that is still starting
    (as start_with_retry waits for Kafka); a Redis lost later is the rounds' business."""
    outage, backoff = OutageLog("redis", time.monotonic), Backoff(cap=5.0)
    give_up, attempt = time.monotonic() + 60.0, 0
    while True:
        try:
            added = await registry.add_missing(feeds)
        except RedisError as exc:
            attempt += 1
            if time.monotonic() >= give_up:
                raise
            if line := outage.failed(type(exc).__name__, describe(exc)):
                log.warning("fetcher: %s; waiting for it", line)
            await asyncio.sleep(backoff.delay(attempt, random.Random()))
            continue
        if line := outage.succeeded():
            log.warning("fetcher: %s", line)
        return added


async def run(settings: FetcherSettings) -> None:
    await ensure_topics(settings, [settings.topics.items])
    redis = create_redis(settings)
    registry = FeedRegistry(redis, settings.redis_prefix)
    if settings.feeds_file.exists():
        # The file seeds the registry; feeds added or changed at run time are kept.
        feeds = load_feed_list(settings.feeds_file)
        for feed in feeds:
            if "interval_seconds" not in feed.model_fields_set:
                feed.interval_seconds = settings.default_interval_seconds
        added = await _seed(registry, feeds)
        log.info(
            "fetcher: %s lists %d feed(s), %d new to the registry",
            settings.feeds_file,
            len(feeds),
            len(added),
        )
    producer = create_producer(settings, "newswatch-fetcher")
    await start_with_retry(producer, "fetcher", settings=settings)
    try:
        async with build_client(settings) as client:
            fetcher = build_fetcher(settings, redis, producer, client)
            readiness(health := Health("fetcher"), fetcher, redis, producer)
            try:
                async with health.serve(0 if settings.once else settings.health_port):
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
