"""Stories waiting for a subscription's next digest or follow-up, in Redis.

Keys (``{prefix}:alerter:...``): ``pending:{team}/{sub}`` hash subject (a story id, or a
story id and tags new to it) -> PendingEntry JSON; ``digest_due`` sorted set subscription key -> when its digest is due.
Flushing moves entries into delivery jobs and deletes them in one transaction,
so an entry is sent in exactly one digest even if the alerter dies mid-way.
"""

import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.alerter.jobs import DeliveryJob, PendingEntry
from newswatch.alerter.queue import CLAIM_DUE, MARKER_TTL_SECONDS, RetryQueue

# Entries added while a flush ran stay pending: keep the subscription due for them.
_RESCHEDULE = """
if redis.call('HLEN', KEYS[1]) > 0 then
  redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
else
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return 1
"""

# Claim the (subscription, story) pair and make it the first pending entry, if unclaimed.
_CLAIM_PENDING = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], ARGV[5])
return 1
"""


class PendingDigests:
    def __init__(self, redis: Redis, prefix: str, queue: RetryQueue) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:alerter"
        self._due_key = f"{self._prefix}:digest_due"
        self._queue = queue
        self._claim_due = redis.register_script(CLAIM_DUE)
        self._reschedule = redis.register_script(_RESCHEDULE)
        self._claim_pending = redis.register_script(_CLAIM_PENDING)

    def _key(self, subscription_key: str) -> str:
        return f"{self._prefix}:pending:{subscription_key}"

    async def claim_story(
        self, pipe: Pipeline, subscription_key: str, entry: PendingEntry, due_in: float
    ) -> None:
        """Like RetryQueue.claim_story, but the story waits for the digest."""
        await self._claim_pending(
            keys=[
                self._queue.marker(subscription_key, entry.key),
                self._key(subscription_key),
                self._due_key,
            ],
            args=[
                MARKER_TTL_SECONDS,
                entry.key,
                entry.model_dump_json(),
                time.time() + due_in,
                subscription_key,
            ],
            client=pipe,
        )

    def add_update(
        self, pipe: Pipeline, subscription_key: str, entry: PendingEntry, due_in: float
    ) -> None:
        """A later report of a story already told: one follow-up entry per story, not per report."""
        pipe.hsetnx(self._key(subscription_key), entry.key, entry.model_dump_json())
        pipe.zadd(self._due_key, {subscription_key: time.time() + due_in}, nx=True)

    async def claim_due(self, lease: float, limit: int = 50) -> list[str]:
        now = time.time()
        keys = await self._claim_due(keys=[self._due_key], args=[now, now + lease, limit])
        return [k.decode() if isinstance(k, bytes) else k for k in keys]

    async def entries(self, subscription_key: str) -> list[PendingEntry]:
        raw = await self._redis.hgetall(self._key(subscription_key))
        entries = [PendingEntry.model_validate_json(v) for v in raw.values()]
        return sorted(entries, key=lambda e: e.item.item.published_at)

    async def flush(
        self,
        subscription_key: str,
        sent: list[PendingEntry],
        jobs: list[DeliveryJob],
        next_due_in: float,
    ) -> None:
        """Atomically: the digest's jobs are queued, its entries leave the pending set."""
        async with self._redis.pipeline(transaction=True) as pipe:
            for job in jobs:
                await self._queue.put(pipe, job, time.time())
            if sent:
                pipe.hdel(self._key(subscription_key), *(e.key for e in sent))
            await self._reschedule(
                keys=[self._key(subscription_key), self._due_key],
                args=[time.time() + next_due_in, subscription_key],
                client=pipe,
            )
            await pipe.execute()

    async def drop(self, subscription_key: str) -> None:
        """The subscription is gone: nothing it had pending will be sent."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key(subscription_key))
            pipe.zrem(self._due_key, subscription_key)
            await pipe.execute()
