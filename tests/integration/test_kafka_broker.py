"""What the pipeline relies on from the broker: our topics, idempotent keyed produce, group commit."""

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

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


async def test_created_topics_are_served_when_ensure_topics_returns(env_settings, kafka_bootstrap):
    """Kafka answers CreateTopics before its metadata shows the topics (for about 0.3 s
    here); a consumer group formed then is assigned nothing, and faust looks again only
    minutes later."""
    settings = CommonSettings()
    names = [f"{settings.topic_prefix}.served-{n}.v1" for n in range(40)]
    other = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)  # connected beforehand
    await other.start()
    try:
        assert sorted(await ensure_topics(settings, names, partitions=4)) == sorted(names)
        described = await other.describe_topics(names)
    finally:
        await other.close()
    assert {t["topic"]: t["error_code"] for t in described} == dict.fromkeys(names, 0)
    for topic in described:
        assert sorted(p["partition"] for p in topic["partitions"]) == [0, 1, 2, 3], topic
        assert all(p["leader"] >= 0 for p in topic["partitions"]), topic
