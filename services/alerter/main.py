"""Composition root: builds the real adapters and runs the alerter."""

import logging

from aiokafka import AIOKafkaConsumer

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.channels import build_channels
from newswatch.alerter.channels.http import Poster, build_session
from newswatch.alerter.service import Alerter
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.kafka import create_producer, ensure_topics, start_with_retry
from newswatch.shared.lifecycle import run_service
from newswatch.shared.redis import create_redis

log = logging.getLogger("newswatch.alerter")


def alerter_topics(settings: AlerterSettings) -> list[str]:
    topics = settings.topics
    return [
        topics.classified,
        topics.stories,
        topics.deliveries,
        topics.dead_letter("classified"),
        topics.dead_letter("deliveries"),
    ]


async def run(settings: AlerterSettings) -> None:
    topics = settings.topics
    await ensure_topics(settings, alerter_topics(settings))
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
    policy = AddressPolicy.from_setting(settings.allowed_networks)
    session = build_session(
        policy,
        timeout=settings.http_timeout_seconds,
        connections=settings.concurrency,
        user_agent="newswatch-alerter/0.1",
    )
    alerter = Alerter(
        settings, consumer, producer, redis, build_channels(settings, Poster(session, policy))
    )
    log.info("alerter: consuming %s as group %s", topics.classified, settings.consumer_group)
    try:
        await alerter.run()
    finally:
        log.info("alerter counters: %s", alerter.counters.summary())
        await consumer.stop()
        await producer.stop()
        await session.close()
        await redis.aclose()


def main(settings: AlerterSettings | None = None) -> None:
    run_service(run(settings or AlerterSettings()))
