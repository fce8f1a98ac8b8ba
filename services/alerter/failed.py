"""Deliveries that failed finally, kept in Redis so an operator can list and replay them.

A delivery fails finally when its receiver refuses it for good (a 404, a refused
address) or keeps failing for its whole retry window. Its job is kept here with the
time it failed (written with the outcome, by ``outcomes.py``); ``newswatch deliveries retry`` (and the API, through
:meth:`FailedDeliveries.failed_deliveries`) selects them by team, subscription,
channel and time, and a replay queues them again with a fresh retry window, at the
end of their lanes. A replayed delivery that succeeds leaves this store.

Keys (``{prefix}:alerter:...``): ``failed`` sorted set id -> when it failed (epoch
seconds); ``failed_jobs`` hash id -> DeliveryJob JSON.

Nothing is kept for ever: the alerter prunes deliveries that failed longer ago than
``failed_retention`` (:meth:`FailedDeliveries.prune`), a batch at a time, each batch one
Lua script, so an id leaves the sorted set and the hash together and neither the CLI nor
the API ever sees half an entry.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.alerter.jobs import DeliveryJob
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.queue import RetryQueue
from newswatch.shared.contracts import Delivery, DeliveryStatus
from newswatch.shared.contracts.base import utc_now

PRUNE_BATCH = 500

# KEYS: failed index, failed jobs. ARGV: failed at or before (epoch seconds), batch size.
_PRUNE_OLD = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
if #ids > 0 then
  redis.call('ZREM', KEYS[1], unpack(ids))
  redis.call('HDEL', KEYS[2], unpack(ids))
end
return #ids
"""
# KEYS: failed index, failed jobs. ARGV: ids seen in the hash; those not in the index go.
_DROP_UNINDEXED = """
local dropped = 0
for _, id in ipairs(ARGV) do
  if not redis.call('ZSCORE', KEYS[1], id) then
    dropped = dropped + redis.call('HDEL', KEYS[2], id)
  end
end
return dropped
"""


@dataclass(frozen=True, slots=True)
class Pruned:
    expired: int  # failed longer ago than the retention
    unindexed: int  # jobs without an index entry: no one could list or replay them

    @property
    def total(self) -> int:
        return self.expired + self.unindexed


@dataclass(frozen=True, slots=True)
class FailedFilter:
    """Which failed deliveries: every field given must match; times bound when they failed."""

    team: str | None = None
    subscription_id: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def admits(self, delivery: Delivery) -> bool:
        return (
            (self.team is None or delivery.team == self.team)
            and (self.subscription_id is None or delivery.subscription_id == self.subscription_id)
            and (self.channel is None or delivery.channel == self.channel)
        )


class FailedDeliveries:
    def __init__(self, redis: Redis, prefix: str, ledger: DeliveryLedger) -> None:
        self._redis = redis
        self.index_key = f"{prefix}:alerter:failed"
        self.jobs_key = f"{prefix}:alerter:failed_jobs"
        self._ledger = ledger
        self._prune_old = redis.register_script(_PRUNE_OLD)
        self._drop_unindexed = redis.register_script(_DROP_UNINDEXED)

    async def prune(self, failed_before: float, batch: int = PRUNE_BATCH) -> Pruned:
        """Remove the deliveries that failed at or before ``failed_before`` (epoch seconds),
        ``batch`` per atomic step; then any job left without its index entry."""
        keys = [self.index_key, self.jobs_key]
        expired = 0
        while True:
            removed = int(await self._prune_old(keys=keys, args=[failed_before, batch]))
            expired += removed
            if removed < batch:  # new failures are scored "now": this loop always ends
                return Pruned(expired, await self._prune_unindexed(batch))

    async def _prune_unindexed(self, batch: int) -> int:
        # Every writer keeps the two keys in step (one script each), so this finds nothing
        # unless something wrote them another way; the sizes tell, without reading the jobs.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hlen(self.jobs_key)
            pipe.zcard(self.index_key)
            jobs, indexed = await pipe.execute()
        if jobs <= indexed:
            return 0
        dropped, cursor = 0, 0
        while True:
            cursor, found = await self._redis.hscan(self.jobs_key, cursor, count=batch)
            if found:
                keys = [self.index_key, self.jobs_key]
                dropped += int(await self._drop_unindexed(keys=keys, args=list(found)))
            if cursor == 0:
                return dropped

    def forget(self, pipe: Pipeline, job_id: str) -> None:
        """A replayed delivery got through."""
        pipe.hdel(self.jobs_key, job_id)
        pipe.zrem(self.index_key, job_id)

    async def failed_deliveries(
        self, which: FailedFilter = FailedFilter(), limit: int = 100
    ) -> list[Delivery]:
        """The failed deliveries' records, newest first (what the API lists)."""
        low = which.since.timestamp() if which.since else "-inf"
        high = which.until.timestamp() if which.until else "+inf"
        found: list[Delivery] = []
        start = 0
        while len(found) < limit:
            ids = await self._redis.zrevrangebyscore(
                self.index_key, high, low, start=start, num=500
            )
            if not ids:
                break
            start += len(ids)
            for delivery_id in ids:
                delivery = await self._ledger.get(delivery_id.decode())
                if delivery is not None and which.admits(delivery):
                    found.append(delivery)
        return found[:limit]

    async def replay(
        self, queue: RetryQueue, which: FailedFilter, retry_for_hours: float, limit: int = 10_000
    ) -> list[Delivery]:
        """Queue the selected failed deliveries again, each retried for ``retry_for_hours``."""
        chosen = await self.failed_deliveries(which, limit)
        if not chosen:
            return []
        raw_jobs = await self._redis.hmget(self.jobs_key, [d.id for d in chosen])
        replayed = []
        now = utc_now()
        async with self._redis.pipeline(transaction=True) as pipe:
            for delivery, raw in zip(chosen, raw_jobs, strict=True):
                if raw is None:
                    continue
                job = DeliveryJob.model_validate_json(raw)
                job.give_up_at = now + timedelta(hours=retry_for_hours)
                await queue.put(pipe, job, time.time())
                self.forget(pipe, job.id)
                again = delivery.model_copy(update={"status": DeliveryStatus.RETRYING})
                self._ledger.record(pipe, again, first=False)
                replayed.append(again)
            await pipe.execute()
        return replayed
