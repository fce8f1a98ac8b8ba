"""The faust-streaming app: a thin loop around the pure router and the batch publisher."""

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

import faust

from newswatch.classifier import metrics
from newswatch.classifier.classify import Classifier
from newswatch.classifier.eager import use_eager_consumer
from newswatch.classifier.lean import LeanMonitor, RawSchema
from newswatch.classifier.outbox import BatchSender
from newswatch.classifier.partitioner import KeyPartitioner
from newswatch.classifier.settings import ClassifierSettings
from newswatch.classifier.stream import BatchPublisher, Pipeline
from newswatch.classifier.take import take_batches
from newswatch.shared.kafka import faust_credentials, metadata_max_age_ms
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.classifier")


def create_app(settings: ClassifierSettings, classifier: Classifier) -> faust.App:
    topics = settings.topics
    partitioner = KeyPartitioner()
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{h.strip()}" for h in settings.kafka_bootstrap_servers.split(",")],
        broker_credentials=faust_credentials(settings),  # TLS/SASL as every other client
        store="memory://",
        datadir=settings.datadir,  # faust's default is the working directory
        web_enabled=False,
        # Our topics are created up front (newswatch topics create); faust creates none.
        topic_allow_declare=False,
        topic_disable_leader=True,
        processing_guarantee="at_least_once",
        broker_commit_interval=1.0,
        consumer_auto_offset_reset="earliest",
        # New partitions of the items topic are taken within this long, not faust's 5 minutes.
        consumer_metadata_max_age_ms=metadata_max_age_ms(settings),
        producer_metadata_max_age_ms=metadata_max_age_ms(settings),
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        consumer_group_instance_id=settings.instance_id or None,
        # Large chunks per fetch and per hand-over: with 1 MB and 1,000 records (as before) the
        # worker waited for the broker after nearly every batch, a sixth of its time.
        consumer_max_fetch_size=settings.fetch_bytes_per_partition,
        broker_max_poll_records=max(settings.poll_records, settings.batch_size),
        producer_acks=-1,
        producer_linger=settings.producer_linger_ms / 1000,
        producer_max_batch_size=settings.producer_batch_bytes,
        producer_compression_type=settings.producer_compression,
        producer_partitioner=partitioner,  # Kafka's default partitions, hashed in C
        key_serializer="raw",
        value_serializer="raw",
        Monitor=LeanMonitor,  # faust's per-record statistics: nothing reads them here
    )
    use_eager_consumer(app)  # before the first topic: faust's fetch loop, no task per record
    counters = Counters(metrics.ROUTES)  # each count also goes to /metrics
    metrics.install(app, settings)
    items = app.topic(topics.items, schema=RawSchema(key_serializer="raw", value_serializer="raw"))

    @app.agent(items, name="classify-items")
    async def classify_items(stream: faust.StreamT) -> None:
        producer = await app.maybe_start_producer()

        def send(topic: str, key: bytes | None, value: bytes) -> Awaitable[asyncio.Future[Any]]:
            return producer.send(topic, key, value, None, None, None)

        # A batch's first sends go out as Kafka record batches built here, through the
        # aiokafka producer inside faust's (faust offers no batch send of its own).
        kafka = producer._ensure_producer()
        send_all = BatchSender(
            kafka, partitioner, send, max_record_bytes=app.conf.producer_max_request_size
        )
        publisher = BatchPublisher(
            send,
            metrics.timed(classifier),
            topics,
            counters,
            send_all=send_all,
            attempts=settings.send_attempts,
        )

        # Acks are ours: a batch's offsets are acknowledged only once every record in it is
        # published or dead-lettered and Kafka confirmed it (at least once, never skipped).
        # The pipeline confirms one batch while the next is classified.
        async def ack(events: list[faust.types.EventT]) -> None:
            for event in events:
                await stream.ack(event)

        pipeline: Pipeline[list[faust.types.EventT]] = Pipeline(publisher, ack)
        try:
            # faust's noack_take, without a turn of the event loop per record (take.py).
            batches = take_batches(stream, settings.batch_size, settings.batch_wait_seconds)
            async for events in batches:
                await pipeline.push(events, [event.message for event in events])
        finally:
            pipeline.cancel()  # a batch still confirming is redelivered after the restart

    @app.timer(interval=60.0)
    async def report() -> None:
        log.info("classifier counters: %s", counters.summary())

    return app
