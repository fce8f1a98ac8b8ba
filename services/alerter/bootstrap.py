"""The alerter's composition root: the one place that wires its parts to real adapters.

The service (``main``), the CLI, the API, the tests' harness and the benchmark all
build through here, so they run the same alerter:

* :func:`build_stores` — the Redis stores, from settings and a Redis client (what the API
  and the CLI need);
* :func:`build_alerter` — stores, router, dispatcher and the Alerter around a consumer and
  a producer the caller owns;
* :func:`running_alerter` — all of it with real Kafka, Redis and HTTP clients, started and
  closed in order (what ``newswatch alerter`` runs).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from redis.asyncio import Redis

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.channels import Channel, build_channels
from newswatch.alerter.channels.http import Poster, build_session
from newswatch.alerter.dispatch import Dispatcher
from newswatch.alerter.failed import FailedDeliveries
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.metrics import ROUTES
from newswatch.alerter.outcomes import OutcomeWriter
from newswatch.alerter.pending import PendingDigests
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.routing import Router
from newswatch.alerter.service import Alerter
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.stores import AlerterStores
from newswatch.alerter.story_store import StoryStore
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.kafka import (
    create_producer,
    ensure_topics,
    kafka_client_kwargs,
    metadata_max_age_ms,
    start_with_retry,
)
from newswatch.shared.observability import Counters
from newswatch.shared.redis import create_redis


def alerter_topics(settings: AlerterSettings) -> list[str]:
    topics = settings.topics
    return [
        topics.classified,
        topics.stories,
        topics.deliveries,
        topics.dead_letter("classified"),
        topics.dead_letter("deliveries"),
    ]


def build_stores(settings: AlerterSettings, redis: Redis) -> AlerterStores:
    prefix = settings.redis_prefix
    ledger = DeliveryLedger(redis, prefix)
    queue = RetryQueue(redis, prefix, settings.retry_lease_seconds)
    return AlerterStores(
        subscriptions=SubscriptionStore(redis, prefix),
        ledger=ledger,
        queue=queue,
        pending=PendingDigests(redis, prefix, queue),
        stories=StoryStore(redis, prefix),
        failed=FailedDeliveries(redis, prefix, ledger),
        keys=ApiKeyStore(redis, prefix),
    )


def build_alerter(
    settings: AlerterSettings,
    *,
    consumer: AIOKafkaConsumer,
    producer: AIOKafkaProducer,
    redis: Redis,
    channels: dict[str, Channel],
    counters: Counters | None = None,
) -> Alerter:
    counters = counters or Counters(ROUTES)  # each count also goes to /metrics
    stores = build_stores(settings, redis)
    router = Router(settings, redis, stores.queue, stores.pending, counters)
    dispatcher = Dispatcher(
        settings,
        redis,
        producer,
        channels,
        stores.ledger,
        stores.queue,
        OutcomeWriter(redis, stores.ledger, stores.queue, stores.failed),
        counters,
    )
    return Alerter(settings, consumer, producer, stores, router, dispatcher, counters)


def build_consumer(settings: AlerterSettings, client_id: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        settings.topics.classified,
        **kafka_client_kwargs(settings),
        metadata_max_age_ms=metadata_max_age_ms(settings),
        group_id=settings.consumer_group,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_interval_ms=600_000,
    )


@asynccontextmanager
async def running_alerter(
    settings: AlerterSettings, client_id: str = "newswatch-alerter"
) -> AsyncIterator[Alerter]:
    """An Alerter on real adapters, started; everything is closed on the way out."""
    await ensure_topics(settings, alerter_topics(settings))
    redis = create_redis(settings)
    producer = create_producer(settings, client_id)
    consumer = build_consumer(settings, client_id)
    policy = AddressPolicy.from_setting(settings.allowed_networks)
    session = build_session(
        policy,
        timeout=settings.http_timeout_seconds,
        connections=settings.concurrency,
        user_agent="newswatch-alerter/0.1",
    )
    try:
        await start_with_retry(producer, "alerter producer", settings=settings)
        await start_with_retry(consumer, "alerter consumer", settings=settings)
        yield build_alerter(
            settings,
            consumer=consumer,
            producer=producer,
            redis=redis,
            channels=build_channels(settings, Poster(session, policy)),
        )
    finally:
        await consumer.stop()
        await producer.stop()
        await session.close()
        await redis.aclose()
