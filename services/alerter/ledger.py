"""The delivery ledger in Redis: what was delivered, so nothing is delivered twice.

Keys (``{prefix}:alerter:...``):

* ``delivery:{id}``  the Delivery record (JSON) of a finished delivery
* ``log:{subscription_id}``  newest-first delivery ids, trimmed to ``LOG_LENGTH``
"""

import hashlib

from redis.asyncio import Redis

from newswatch.shared.contracts import Delivery

LOG_LENGTH = 1000


def delivery_id(subscription_id: str, item_id: str, destination_key: str) -> str:
    """One id per (subscription, story, destination): the unit of "once"."""
    return hashlib.sha256(
        f"{subscription_id}\x1f{item_id}\x1f{destination_key}".encode()
    ).hexdigest()[:32]


class DeliveryLedger:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:alerter"

    async def delivered(self, delivery_ids: list[str]) -> set[str]:
        if not delivery_ids:
            return set()
        keys = [f"{self._prefix}:delivery:{i}" for i in delivery_ids]
        values = await self._redis.mget(keys)
        return {i for i, v in zip(delivery_ids, values, strict=True) if v is not None}

    async def record(self, delivery: Delivery) -> None:
        log_key = f"{self._prefix}:log:{delivery.subscription_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._prefix}:delivery:{delivery.id}", delivery.to_json_bytes())
            pipe.lpush(log_key, delivery.id)
            pipe.ltrim(log_key, 0, LOG_LENGTH - 1)
            await pipe.execute()

    async def get(self, delivery_id_: str) -> Delivery | None:
        raw = await self._redis.get(f"{self._prefix}:delivery:{delivery_id_}")
        return Delivery.model_validate_json(raw) if raw else None

    async def recent(self, subscription_id: str, limit: int = 50) -> list[Delivery]:
        ids = await self._redis.lrange(f"{self._prefix}:log:{subscription_id}", 0, limit - 1)
        found = [await self.get(i.decode()) for i in ids]
        return [d for d in found if d is not None]
