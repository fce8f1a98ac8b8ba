"""Subscriptions kept in Redis (append-only persistence), with a version that bumps on change."""

from redis.asyncio import Redis

from newswatch.alerter.channels import validate_target
from newswatch.shared.contracts import Subscription


class SubscriptionStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._key = f"{prefix}:alerter:subscriptions"
        self._version_key = f"{prefix}:alerter:subscriptions:version"

    async def save(self, subscription: Subscription) -> Subscription:
        for target in subscription.channels:
            validate_target(target)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key, subscription.id, subscription.to_json_bytes())
            pipe.incr(self._version_key)
            await pipe.execute()
        return subscription

    async def get(self, subscription_id: str) -> Subscription | None:
        raw = await self._redis.hget(self._key, subscription_id)
        return Subscription.model_validate_json(raw) if raw else None

    async def remove(self, subscription_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._key, subscription_id)
            pipe.incr(self._version_key)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def all(self) -> list[Subscription]:
        raw = await self._redis.hgetall(self._key)
        return sorted(
            (Subscription.model_validate_json(v) for v in raw.values()), key=lambda s: s.id
        )

    async def version(self) -> int:
        return int(await self._redis.get(self._version_key) or 0)
