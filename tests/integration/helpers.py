"""Small helpers for tests that talk to the real Kafka broker."""

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer


async def read_topic(bootstrap: str, topic: str, *, expect: int, timeout: float = 30.0) -> list:
    """Read a topic from the beginning until ``expect`` records arrived or the time ran out."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest", enable_auto_commit=False,
    )
    await consumer.start()
    records: list = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(records) < expect and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    return records
