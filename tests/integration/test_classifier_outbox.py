"""The classifier's batch sends on a real broker: each record lands on the partition a plain
send picks, in the order sent, and a record Kafka refuses fails only its own batch."""

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from newswatch.classifier.outbox import BatchSender
from newswatch.classifier.partitioner import KeyPartitioner
from newswatch.classifier.routing import Outgoing
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.settings import CommonSettings
from tests.integration.helpers import read_topic

pytestmark = [pytest.mark.kafka]


def batch_sender(producer: AIOKafkaProducer, *, max_record_bytes: int) -> BatchSender:
    """As the worker builds it: its single sends through the same producer."""

    async def send(topic: str, key: bytes | None, value: bytes) -> "asyncio.Future[object]":
        return await producer.send(topic, value, key=key)

    return BatchSender(producer, KeyPartitioner(), send, max_record_bytes=max_record_bytes)


COUNT = 600
LIMIT = 1_048_576  # aiokafka's default max request size


async def test_batched_records_land_where_plain_sends_put_them_in_order(kafka_bootstrap, prefix):
    settings = CommonSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)
    batched, plain = f"{prefix}.outbox-batched.v1", f"{prefix}.outbox-plain.v1"
    await ensure_topics(settings, [batched, plain], partitions=3)
    records = [(f"item-{n}".encode(), f"report {n};".encode() * 40) for n in range(COUNT)]
    # Small batches, so that each partition's records fill several of them.
    ours = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, max_batch_size=16_384)
    reference = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)  # aiokafka's partitioner
    await ours.start()
    await reference.start()
    try:
        sender = batch_sender(ours, max_record_bytes=LIMIT)
        futures = await sender([Outgoing(batched, key, value) for key, value in records])
        await asyncio.gather(*futures)
        await asyncio.gather(*[await reference.send(plain, v, key=k) for k, v in records])
    finally:
        await ours.stop()
        await reference.stop()
    got = await read_topic(kafka_bootstrap, batched, expect=COUNT)
    expected = await read_topic(kafka_bootstrap, plain, expect=COUNT)
    partition_of = {r.key: r.partition for r in expected}
    assert len(got) == COUNT and {r.key: r.partition for r in got} == partition_of
    assert len(set(partition_of.values())) == 3
    assert {r.key: r.value for r in got} == dict(records)
    for partition in range(3):
        sent_order = [key for key, _ in records if partition_of[key] == partition]
        assert [r.key for r in got if r.partition == partition] == sent_order


async def test_a_record_kafka_refuses_fails_alone(kafka_bootstrap, prefix):
    settings = CommonSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)
    topic = f"{prefix}.outbox-refused.v1"
    await ensure_topics(settings, [topic], partitions=1)
    # The client would take it; the broker's limit (about 1 MB a batch) refuses it.
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, max_request_size=8_000_000)
    await producer.start()
    try:
        sender = batch_sender(producer, max_record_bytes=8_000_000)
        outs = [
            Outgoing(topic, b"before", b"a small report"),
            Outgoing(topic, b"huge", b"x" * 1_500_000),
            Outgoing(topic, b"after", b"another small report"),
        ]
        futures = await sender(outs)
        await asyncio.wait(futures)
    finally:
        await producer.stop()
    before, huge, after = futures
    assert before.exception() is None and after.exception() is None
    assert huge.exception() is not None
    got = await read_topic(kafka_bootstrap, topic, expect=2)
    assert [r.key for r in got] == [b"before", b"after"]


async def test_a_record_over_the_producers_limit_is_refused_by_its_send(kafka_bootstrap, prefix):
    settings = CommonSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=prefix)
    topic = f"{prefix}.outbox-limit.v1"
    await ensure_topics(settings, [topic], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        sender = batch_sender(producer, max_record_bytes=LIMIT)
        # Under the broker's limit in a batch of its own, over the producer's for a record.
        outs = [Outgoing(topic, b"big", b"x" * (LIMIT - 10)), Outgoing(topic, b"ok", b"fine")]
        big, ok = await sender(outs)
        await asyncio.wait([big, ok])
    finally:
        await producer.stop()
    assert isinstance(big.exception(), MessageSizeTooLargeError) and ok.exception() is None
