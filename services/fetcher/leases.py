"""Sharing feeds between fetcher instances with leases in Redis.

Each instance beats a heartbeat, holds its fair share of the feeds under leases
that expire after ``ttl`` seconds, renews them while alive, and claims feeds that
nobody holds. When an instance dies its leases lapse and the survivors claim
those feeds on their next round, well within a minute with the default ttl.
A feed is polled only by the instance holding its lease, so never twice at once.

Keys (``{prefix}:fetcher:...``): ``lease:{feed_id}`` -> instance id, with a TTL;
``instances`` (sorted set: instance id -> last heartbeat, epoch seconds).
"""

import math
import time
from collections.abc import Iterable

from redis.asyncio import Redis

# Renew only what we still hold: a lease taken over by another instance stays theirs.
_RENEW = """
local held = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
    table.insert(held, i)
  end
end
return held
"""


def to_claim(
    feed_ids: Iterable[str], holders: dict[str, str | None], me: str, live_instances: int
) -> list[str]:
    """Which free feeds to claim so that this instance holds its fair share, no more."""
    ids = sorted(feed_ids)
    fair = math.ceil(len(ids) / max(live_instances, 1))
    mine = sum(1 for i in ids if holders.get(i) == me)
    free = [i for i in ids if holders.get(i) is None]
    return free[: max(0, fair - mine)]


def to_release(held: Iterable[str], total: int, live_instances: int) -> list[str]:
    """Feeds above this instance's fair share, given back so a newcomer can take them."""
    fair = math.ceil(total / max(live_instances, 1))
    mine = sorted(held)
    return mine[fair:] if len(mine) > fair else []


class LeaseManager:
    def __init__(self, redis: Redis, prefix: str, instance: str, ttl: float = 20.0) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:fetcher"
        self.instance = instance
        self._ttl_ms = int(ttl * 1000)
        self._ttl = ttl
        self._renew = redis.register_script(_RENEW)

    def _lease(self, feed_id: str) -> str:
        return f"{self._prefix}:lease:{feed_id}"

    async def maintain(self, feed_ids: list[str]) -> set[str]:
        """Heartbeat, renew, claim a fair share; return the feeds this instance holds now."""
        now = time.time()
        instances = f"{self._prefix}:instances"
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(instances, {self.instance: now})
            pipe.zremrangebyscore(instances, 0, now - self._ttl)
            pipe.zcard(instances)
            _, _, live = await pipe.execute()
        if not feed_ids:
            return set()
        keys = [self._lease(i) for i in feed_ids]
        renewed = await self._renew(keys=keys, args=[self.instance, self._ttl_ms])
        held = {feed_ids[i - 1] for i in renewed}
        values = await self._redis.mget(keys)
        holders = {i: (v.decode() if v else None) for i, v in zip(feed_ids, values, strict=True)}
        for feed_id in to_claim(feed_ids, holders, self.instance, int(live)):
            if await self._redis.set(self._lease(feed_id), self.instance, nx=True, px=self._ttl_ms):
                held.add(feed_id)
        shed = to_release(held, len(feed_ids), int(live))
        await self.release_all(shed, leave=False)
        return held - set(shed)

    async def release_all(self, feed_ids: Iterable[str], leave: bool = True) -> None:
        """Give leases back at once (on a clean shutdown, or above the fair share)."""
        for feed_id in feed_ids:
            key = self._lease(feed_id)
            if await self._redis.get(key) == self.instance.encode():
                await self._redis.delete(key)
        if leave:
            await self._redis.zrem(f"{self._prefix}:instances", self.instance)
