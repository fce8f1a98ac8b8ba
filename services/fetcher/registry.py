"""The feed registry in Redis: which feeds to poll, their health, and error counts by kind.

Feeds are managed at run time (`newswatch feeds add|remove|pause|resume|import-opml`);
running fetchers notice a change through the version key within seconds.

Keys (``{prefix}:fetcher:...``): ``feeds`` (hash id -> FeedSpec), ``feeds:version``,
``health`` (hash id -> FeedHealth), ``errors`` (hash kind -> count).
"""

from redis.asyncio import Redis

from newswatch.fetcher.feeds import FeedSpec, feed_id_for
from newswatch.fetcher.schedule import FeedHealth
from newswatch.shared.redis_batches import CommandBatcher


class FeedRegistry:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._batched = CommandBatcher(redis)  # polls ending together save health at once
        self._feeds = f"{prefix}:fetcher:feeds"
        self._version = f"{prefix}:fetcher:feeds:version"
        self._health = f"{prefix}:fetcher:health"
        self._errors = f"{prefix}:fetcher:errors"

    async def save(self, spec: FeedSpec) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._feeds, spec.id, spec.model_dump_json())
            pipe.incr(self._version)
            await pipe.execute()

    async def add_missing(self, specs: list[FeedSpec]) -> list[FeedSpec]:
        """Register feeds not yet known (by id); return those added. Known feeds keep their state."""
        known = set(await self.ids())
        added = [s for s in specs if s.id not in known]
        if added:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self._feeds, mapping={s.id: s.model_dump_json() for s in added})
                pipe.incr(self._version)
                await pipe.execute()
        return added

    async def find(self, id_or_url: str) -> FeedSpec | None:
        for key in (id_or_url, feed_id_for(id_or_url)):
            raw = await self._redis.hget(self._feeds, key)
            if raw:
                return FeedSpec.model_validate_json(raw)
        for spec in await self.all():  # a URL that was updated by a permanent redirect
            if spec.url == id_or_url:
                return spec
        return None

    async def remove(self, feed_id: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hdel(self._feeds, feed_id)
            pipe.hdel(self._health, feed_id)
            pipe.incr(self._version)
            removed, *_ = await pipe.execute()
        return bool(removed)

    async def ids(self) -> list[str]:
        return [k.decode() for k in await self._redis.hkeys(self._feeds)]

    async def all(self) -> list[FeedSpec]:
        raw = await self._redis.hgetall(self._feeds)
        return sorted((FeedSpec.model_validate_json(v) for v in raw.values()), key=lambda s: s.id)

    async def version(self) -> int:
        return int(await self._redis.get(self._version) or 0)

    async def health(self, feed_ids: list[str]) -> dict[str, FeedHealth]:
        if not feed_ids:
            return {}
        values = await self._redis.hmget(self._health, feed_ids)
        return {
            i: FeedHealth.model_validate_json(v) for i, v in zip(feed_ids, values, strict=True) if v
        }

    async def save_health(self, feed_id: str, health: FeedHealth) -> None:
        value = health.model_dump_json()
        await self._batched.call(lambda pipe: pipe.hset(self._health, feed_id, value))

    async def count_error(self, kind: str) -> None:
        await self._redis.hincrby(self._errors, kind, 1)

    async def error_counts(self) -> dict[str, int]:
        raw = await self._redis.hgetall(self._errors)
        return {k.decode(): int(v) for k, v in sorted(raw.items())}
