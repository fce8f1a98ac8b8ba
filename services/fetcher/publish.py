"""Producing NewsItems to Kafka, keyed by item id, acknowledged before they count."""

import asyncio

from aiokafka import AIOKafkaProducer

from newswatch.shared.contracts import NewsItem


class ItemPublisher:
    def __init__(self, producer: AIOKafkaProducer, topic: str) -> None:
        self._producer = producer
        self._topic = topic

    async def publish(self, items: list[NewsItem]) -> None:
        """Return once the broker has acknowledged every item; raise if any failed."""
        pending = [
            await self._producer.send(self._topic, item.to_json_bytes(), key=item.id.encode())
            for item in items
        ]
        await asyncio.gather(*pending)
