"""The delivery ledger in Redis: each delivery's record and a log per subscription.

Keys (``{prefix}:alerter:...``):

* ``delivery:{id}``  the Delivery record (JSON): retrying, delivered or failed
* ``log:{team}/{subscription}``  newest-first delivery ids, trimmed to ``LOG_LENGTH``
"""

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.shared.contracts import Delivery, DeliveryStatus
from newswatch.shared.contracts.subscriptions import subscription_key

LOG_LENGTH = 1000
RECORD_TTL_SECONDS = 90 * 24 * 3600


class DeliveryLedger:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:alerter"

    def log_key(self, team: str, subscription_id: str) -> str:
        return f"{self._prefix}:log:{subscription_key(team, subscription_id)}"

    def record_key(self, delivery_id: str) -> str:
        return f"{self._prefix}:delivery:{delivery_id}"

    def record(self, pipe: Pipeline, delivery: Delivery, *, first: bool) -> None:
        """Queue the record's write on ``pipe``, so it commits with the queue's change."""
        pipe.set(
            self.record_key(delivery.id),
            delivery.to_json_bytes(),
            ex=RECORD_TTL_SECONDS,
        )
        if first:
            log_key = self.log_key(delivery.team, delivery.subscription_id)
            pipe.lpush(log_key, delivery.id)
            pipe.ltrim(log_key, 0, LOG_LENGTH - 1)

    async def finished(self, delivery_ids: list[str]) -> set[str]:
        """Which of these deliveries are over (delivered or failed): never attempt those again."""
        if not delivery_ids:
            return set()
        values = await self._redis.mget([self.record_key(i) for i in delivery_ids])
        return {
            i
            for i, raw in zip(delivery_ids, values, strict=True)
            if raw is not None
            and Delivery.model_validate_json(raw).status is not DeliveryStatus.RETRYING
        }

    async def get(self, delivery_id: str) -> Delivery | None:
        raw = await self._redis.get(self.record_key(delivery_id))
        return Delivery.model_validate_json(raw) if raw else None

    async def recent(self, team: str, subscription_id: str, limit: int = 50) -> list[Delivery]:
        ids = await self._redis.lrange(self.log_key(team, subscription_id), 0, limit - 1)
        if not ids:
            return []
        values = await self._redis.mget([self.record_key(i.decode()) for i in ids])
        return [Delivery.model_validate_json(v) for v in values if v]
