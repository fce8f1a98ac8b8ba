"""Publishing feedback to Kafka from the Redis outbox, so a Kafka outage loses nothing.

Every write (a new record, a review) queues the record's id in the outbox in the same
Redis transaction; :meth:`FeedbackPublisher.flush` sends the latest state of each
queued record and takes it off the outbox once Kafka has acknowledged it. The API
flushes after each write and every ``INTERVAL_SECONDS``; the CLI after each review.
"""

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from newswatch.alerter.feedback.store import FeedbackStore
from newswatch.shared.kafka import create_producer
from newswatch.shared.settings import CommonSettings

log = logging.getLogger("newswatch.feedback")

INTERVAL_SECONDS = 30.0
KAFKA_WAIT_SECONDS = 10.0  # a flush gives up this soon; the outbox keeps what was not sent


class FeedbackPublisher:
    def __init__(self, store: FeedbackStore, settings: CommonSettings, client_id: str) -> None:
        self._store = store
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()  # one flush at a time: no record sent twice by us

    async def flush(self) -> int:
        """Send what the outbox holds; the number sent. Never raises for Kafka being away."""
        async with self._lock:
            try:
                async with asyncio.timeout(KAFKA_WAIT_SECONDS):
                    return await self._flush()
            except (KafkaError, TimeoutError, OSError) as exc:
                log.warning("feedback stays in the outbox until Kafka answers: %r", exc)
                await self._drop_producer()
                return 0

    async def _flush(self) -> int:
        waiting = await self._store.unpublished()
        if not waiting:
            return 0
        if self._producer is None:
            producer = create_producer(self._settings, self._client_id)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer
        topic = self._settings.topics.feedback
        sends = [
            await self._producer.send(topic, record.to_json_bytes(), key=record.id.encode())
            for record, _ in waiting
        ]
        await asyncio.gather(*sends)
        for record, mark in waiting:
            await self._store.published(record.id, mark)
        return len(waiting)

    async def run(self, interval: float = INTERVAL_SECONDS) -> None:
        """Flush forever: what Kafka refused earlier goes out when it is back."""
        while True:
            await self.flush()
            await asyncio.sleep(interval)

    async def _drop_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception as exc:  # stopping a producer of a dead broker may fail too
                log.debug("closing the feedback producer: %r", exc)

    async def close(self) -> None:
        async with self._lock:
            await self._drop_producer()
