"""The disposable servers of tests/servers.py: they start, die by SIGKILL, come back with their data."""

import asyncio
import uuid

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.servers import PrivateKafka, PrivateRedis

pytestmark = [pytest.mark.redis]


def test_private_redis_keeps_acknowledged_writes_across_kill_9(private_redis: PrivateRedis):
    assert "test-private" in str(private_redis.run_dir)
    client = Redis.from_url(private_redis.url, socket_connect_timeout=2)
    client.set("survivor", "yes")
    private_redis.kill9()
    with pytest.raises(RedisConnectionError):
        Redis.from_url(private_redis.url, socket_connect_timeout=1).ping()
    private_redis.start()
    # Append-only file: the write was acknowledged, so it was in the file before the kill.
    assert Redis.from_url(private_redis.url).get("survivor") == b"yes"
    private_redis.restart()
    assert Redis.from_url(private_redis.url).get("survivor") == b"yes"
    private_redis.stop()
    with pytest.raises(RedisConnectionError):
        Redis.from_url(private_redis.url, socket_connect_timeout=1).ping()


def test_a_private_redis_is_removed_afterwards():
    with PrivateRedis.started() as server:
        run_dir, pid = server.run_dir, server.pid()
        assert pid is not None and run_dir.exists()
    assert not run_dir.exists()
    with pytest.raises(RedisConnectionError):
        Redis.from_url(server.url, socket_connect_timeout=1).ping()


@pytest.mark.kafka
async def test_private_kafka_keeps_acknowledged_records_across_kill_9(private_kafka: PrivateKafka):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    topic = f"private-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=private_kafka.bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=private_kafka.bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"survivor")
    finally:
        await producer.stop()
    await asyncio.to_thread(private_kafka.kill9)
    await asyncio.to_thread(private_kafka.start)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=private_kafka.bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=30_000, max_records=1)
    finally:
        await consumer.stop()
    assert [r.value for records in batch.values() for r in records] == [b"survivor"]
