"""What the fetcher remembers in Redis: published items and HTTP validators, per feed."""

from redis.asyncio import Redis

from newswatch.fetcher.dedupe import Published
from newswatch.fetcher.http import Validators
from newswatch.shared.contracts import NewsItem
from newswatch.shared.redis_batches import CommandBatcher


class FetcherState:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._batched = CommandBatcher(redis)  # every due feed reads its validators at once

    def _seen_key(self, feed_id: str) -> str:
        return f"{self._prefix}:fetcher:seen:{feed_id}"

    def _validators_key(self, feed_id: str) -> str:
        return f"{self._prefix}:fetcher:validators:{feed_id}"

    async def published(self, feed_id: str, item_ids: list[str]) -> dict[str, Published]:
        if not item_ids:
            return {}
        values = await self._redis.hmget(self._seen_key(feed_id), item_ids)
        return {i: Published.decode(v) for i, v in zip(item_ids, values, strict=True) if v}

    async def mark_published(self, feed_id: str, items: list[NewsItem]) -> None:
        """Called only once Kafka acknowledged the items: a crash before it republishes, never loses."""
        if items:
            await self._redis.hset(
                self._seen_key(feed_id),
                mapping={i.id: Published(i.revision, i.content_hash).encode() for i in items},
            )

    async def validators(self, feed_id: str) -> Validators:
        key = self._validators_key(feed_id)
        raw = await self._batched.call(lambda pipe: pipe.hgetall(key))
        return Validators(
            etag=raw[b"etag"].decode() if b"etag" in raw else None,
            last_modified=raw[b"last_modified"].decode() if b"last_modified" in raw else None,
            body_hash=raw[b"body_hash"].decode() if b"body_hash" in raw else None,
        )

    async def save_validators(self, feed_id: str, validators: Validators) -> None:
        key = self._validators_key(feed_id)
        mapping = {
            k: v
            for k, v in (
                ("etag", validators.etag),
                ("last_modified", validators.last_modified),
                ("body_hash", validators.body_hash),
            )
            if v
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if mapping:
                pipe.hset(key, mapping=mapping)
            await pipe.execute()
