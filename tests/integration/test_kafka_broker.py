"""What the pipeline relies on from the broker: our topics, idempotent keyed produce, group commit."""

import pytest
from aiokafka import AIOKafkaConsumer

from newswatch.shared.kafka import create_producer, ensure_topics
from newswatch.shared.settings import CommonSettings
from tests.integration.helpers import read_topic

pytestmark = pytest.mark.kafka


async def test_pipeline_topics_are_created_once_and_exist_after(env_settings):
    settings = CommonSettings()
    names = settings.topics.pipeline(["strike", "sanctions"])
    assert sorted(await ensure_topics(settings, names)) == sorted(names)
    assert await ensure_topics(settings, names) == []


async def test_keyed_records_survive_a_group_commit_and_are_not_read_again(
    env_settings, kafka_bootstrap
):
    settings = CommonSettings()
    topic = settings.topics.items
    await ensure_topics(settings, [topic])
    producer = create_producer(settings, "test")
    await producer.start()
    try:
        for n in range(5):
            await producer.send(topic, f"v{n}".encode(), key=b"same-key")
        await producer.flush()
    finally:
        await producer.stop()
    records = await read_topic(kafka_bootstrap, topic, expect=5)
    assert [r.value for r in records] == [
        b"v0",
        b"v1",
        b"v2",
        b"v3",
        b"v4",
    ]  # one key, one partition, in order

    group = f"{settings.topic_prefix}-group"
    for expected in (5, 0):
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=kafka_bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            seen = []
            for _ in range(10):
                for messages in (await consumer.getmany(timeout_ms=500)).values():
                    seen.extend(messages)
            assert len(seen) == expected
            await consumer.commit()
        finally:
            await consumer.stop()
