"""Composition root: builds the real adapters and runs the alerter."""

import logging

import httpx
from aiokafka import AIOKafkaConsumer

from newswatch.alerter.channels import build_channels
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.service import Alerter
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.kafka import create_producer, ensure_topics, start_with_retry
from newswatch.shared.lifecycle import run_service
from newswatch.shared.redis import create_redis

log = logging.getLogger("newswatch.alerter")


async def run(settings: AlerterSettings) -> None:
    topics = settings.topics
    await ensure_topics(
        settings,
        [
            topics.classified,
            topics.deliveries,
            topics.dead_letter("classified"),
            topics.dead_letter("deliveries"),
        ],
    )
    redis = create_redis(settings)
    producer = create_producer(settings, "newswatch-alerter")
    consumer = AIOKafkaConsumer(
        topics.classified,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.consumer_group,
        client_id="newswatch-alerter",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_interval_ms=600_000,
    )
    await start_with_retry(producer, "alerter producer")
    await start_with_retry(consumer, "alerter consumer")
    client = httpx.AsyncClient(
        timeout=settings.http_timeout_seconds,
        follow_redirects=False,
        headers={"User-Agent": "newswatch-alerter/0.1"},
    )
    alerter = Alerter(
        settings,
        consumer,
        producer,
        SubscriptionStore(redis, settings.redis_prefix),
        DeliveryLedger(redis, settings.redis_prefix),
        build_channels(settings, client),
    )
    log.info("alerter: consuming %s as group %s", topics.classified, settings.consumer_group)
    try:
        await alerter.run()
    finally:
        log.info("alerter counters: %s", alerter.counters.summary())
        await consumer.stop()
        await producer.stop()
        await client.aclose()
        await redis.aclose()


def main(settings: AlerterSettings | None = None) -> None:
    run_service(run(settings or AlerterSettings()))
