"""Writing what came of one delivery attempt: one Lua script, so one atomic step per
outcome, the moment the attempt ends.

The script writes the delivery record (and, on a first attempt, its place in the
subscription's log); then a retried job is rescheduled and its lane waits for it, a failed one is
kept for replay (``failed.py``), a delivered one leaves that store; and a finished job
leaves the queue and lets its lane move on (``queue.py``).
Nothing is written in between, so a crash loses at most the outcome of an attempt that
had not ended.
"""

import asyncio

from redis.asyncio import Redis

from newswatch.alerter.failed import FailedDeliveries
from newswatch.alerter.jobs import DeliveryJob
from newswatch.alerter.ledger import LOG_LENGTH, RECORD_TTL_SECONDS, DeliveryLedger
from newswatch.alerter.queue import ENQUEUE_LUA, FINISH_LUA, RETRY_LUA, RetryQueue
from newswatch.shared.contracts import Delivery, DeliveryStatus

# KEYS: jobs, queue, lanes, record, log, failed index, failed jobs.
# ARGV: id, status, record JSON, record TTL, log length ('' after the first attempt), now,
#       job JSON ('' when delivered), due, lane, sequence.
_WRITE = (
    ENQUEUE_LUA
    + RETRY_LUA
    + FINISH_LUA
    + """
redis.call('SET', KEYS[4], ARGV[3], 'EX', ARGV[4])
if ARGV[5] ~= '' then
  redis.call('LPUSH', KEYS[5], ARGV[1])
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[5]) - 1)
end
if ARGV[2] == 'retrying' then
  retry(KEYS[1], KEYS[2], KEYS[3], ARGV[9], ARGV[1], ARGV[7], ARGV[8], ARGV[10])
  return 1
end
if ARGV[2] == 'failed' then
  redis.call('HSET', KEYS[7], ARGV[1], ARGV[7])
  redis.call('ZADD', KEYS[6], ARGV[6], ARGV[1])
else
  redis.call('HDEL', KEYS[7], ARGV[1])
  redis.call('ZREM', KEYS[6], ARGV[1])
end
finish(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[6])
return 1
"""
)


class OutcomeWriter:
    """Writes each outcome as its attempt ends. Outcomes that end while a write is on its way
    go together in the next round trip (a pipeline of scripts, each atomic on its own), so a
    busy alerter pays one round trip per group, not per outcome, and still never holds an
    outcome back: a crash loses at most the group on its way, attempts that were in flight."""

    def __init__(
        self,
        redis: Redis,
        ledger: DeliveryLedger,
        queue: RetryQueue,
        failed: FailedDeliveries,
    ) -> None:
        self._redis = redis
        self._ledger = ledger
        self._queue = queue
        self._failed = failed
        self._write = redis.register_script(_WRITE)
        self._waiting: list[tuple[list[str], list[object], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(
        self, job: DeliveryJob, record: Delivery, now: float, retry_at: float | None = None
    ) -> None:
        """Returns once the outcome is in Redis."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((*self._call(job, record, now, retry_at), done))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for keys, args, _ in group:
                        await self._write(keys=keys, args=args, client=pipe)
                    replies = await pipe.execute(raise_on_error=False)
            except Exception as exc:
                replies = [exc] * len(group)
            for (_, _, done), reply in zip(group, replies, strict=True):
                if done.done():
                    continue
                if isinstance(reply, Exception):
                    done.set_exception(reply)
                else:
                    done.set_result(None)

    def _call(
        self, job: DeliveryJob, record: Delivery, now: float, retry_at: float | None
    ) -> tuple[list[str], list[object]]:
        status = record.status
        if status is DeliveryStatus.DELIVERED:
            job_json, lane, seq = "", "", 0  # nothing of the job is kept
        else:
            _, job_json, lane, seq = self._queue.job_args(job)
        keys = [
            self._queue.jobs_key,
            self._queue.queue_key,
            self._queue.lanes_key,
            self._ledger.record_key(job.id),
            self._ledger.log_key(job.team, job.subscription_id),
            self._failed.index_key,
            self._failed.jobs_key,
        ]
        args: list[object] = [
            job.id,
            status.value,
            record.to_json_bytes(),
            RECORD_TTL_SECONDS,
            LOG_LENGTH if len(job.attempts) == 1 else "",
            now,
            job_json,
            retry_at if retry_at is not None else now,
            lane,
            seq,
        ]
        return keys, args
