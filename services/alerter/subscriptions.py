"""Subscriptions kept in Redis (append-only persistence), with a version that bumps on change.

Ids are unique within a team; the hash field is ``{team}/{id}`` (``Subscription.key``).
"""

import asyncio

from redis.asyncio import Redis

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.channels import validate_target
from newswatch.alerter.masking import SECRET_MASK, masked
from newswatch.shared.contracts import Subscription
from newswatch.shared.contracts.subscriptions import subscription_key
from newswatch.shared.tags import configured_tags_dir, tag_names

# Channel secrets are write-only; the masking lives in its own module.
__all__ = ["SECRET_MASK", "SubscriptionStore", "check_subscription", "known_tags", "masked"]


def known_tags() -> set[str]:
    """The tags the classifier is configured with (``NEWSWATCH_CLASSIFIER_TAGS_DIR``), read
    from the shared contract: the alerter does not import the classifier."""
    return tag_names(configured_tags_dir())


async def check_subscription(
    subscription: Subscription, policy: AddressPolicy, tags: set[str]
) -> None:
    """Raise ValueError for a tag nobody produces, or a target that cannot work or may not be
    reached (names are resolved)."""
    unknown = sorted({*subscription.tags, *subscription.all_tags} - tags)
    if unknown:
        raise ValueError(
            f"unknown tag(s) {', '.join(unknown)}: the classifier tags {', '.join(sorted(tags))}"
        )
    for target in subscription.channels:
        await asyncio.to_thread(validate_target, target, policy)


class SubscriptionStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._key = f"{prefix}:alerter:subscriptions"
        self._version_key = f"{prefix}:alerter:subscriptions:version"

    async def save(self, subscription: Subscription) -> Subscription:
        """Store as given: callers check it first (``check_subscription``)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._key, subscription.key, subscription.to_json_bytes())
            pipe.incr(self._version_key)
            await pipe.execute()
        return subscription

    async def get(self, team: str, subscription_id: str) -> Subscription | None:
        raw = await self._redis.hget(self._key, subscription_key(team, subscription_id))
        return Subscription.model_validate_json(raw) if raw else None

    async def remove(self, team: str, subscription_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._key, subscription_key(team, subscription_id))
            pipe.incr(self._version_key)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def all(self, team: str | None = None) -> list[Subscription]:
        raw = await self._redis.hgetall(self._key)
        legacy = {k: v for k, v in raw.items() if b"/" not in k}
        if legacy:  # stored before ids were per team (schema 1.0): move them to team/id
            async with self._redis.pipeline(transaction=True) as pipe:
                for field, value in legacy.items():
                    sub = Subscription.model_validate_json(value)
                    pipe.hset(self._key, sub.key, value).hdel(self._key, field)
                    raw[sub.key.encode()] = raw.pop(field)
                await pipe.execute()
        prefix = subscription_key(team, "").encode() if team else b""
        subs = (Subscription.model_validate_json(v) for k, v in raw.items() if k.startswith(prefix))
        return sorted(subs, key=lambda s: s.key)

    async def version(self) -> int:
        return int(await self._redis.get(self._version_key) or 0)
