"""The durable retry queue in Redis: deliveries survive an alerter restart, in order.

Every delivery is written here *before* its first attempt; every attempt is
made by claiming it from here, and its outcome removes or reschedules it in the
same transaction that records the outcome. An alerter that dies mid-attempt
leaves the job behind, and whichever alerter runs next picks it up when the lease
runs out. Claiming bumps a job's due time by the lease, in one Lua call, so two
alerters never attempt the same job at once.

Order: each (subscription, destination) is a *lane*, a sorted set of its
unfinished jobs by the time they were made. Only the lane's head may be claimed;
a job behind it is parked until the head finishes (delivered or failed), which
makes the next one due at once. So while an alert retries through an outage, the
alerts after it to the same destination wait behind it instead of overtaking it,
and a receiver that comes back gets them in the order they were made. Only the
head retries during an outage: one request per backoff per destination.

Keys (``{prefix}:alerter:...``): ``jobs`` hash id -> DeliveryJob JSON;
``queue`` sorted set id -> due (epoch seconds); ``lanes`` hash id -> its lane
key; ``lane:{id}`` sorted set job id -> sequence; ``alerted:{team}/{sub}:{subject}``
marks what a subscription has been told about (alerted or put in a digest).
"""

import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.alerter.jobs import DeliveryJob

MARKER_TTL_SECONDS = 14 * 24 * 3600

# Queue one job: its JSON, its due time, its lane (keeping its place when rescheduled).
_ENQUEUE_LUA = """
local function enqueue(jobs, queue, lanes, lane, id, json, due, seq)
  redis.call('HSET', jobs, id, json)
  redis.call('ZADD', queue, due, id)
  redis.call('HSET', lanes, id, lane)
  redis.call('ZADD', lane, 'NX', seq, id)
end
"""

# Claim the (subscription, subject) pair and queue its jobs, or do nothing if already claimed.
# KEYS: marker, jobs, queue, lanes; ARGV: ttl, due, then (id, json, lane, seq) per job.
_CLAIM_STORY = (
    _ENQUEUE_LUA
    + """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 3, #ARGV, 4 do
  enqueue(KEYS[2], KEYS[3], KEYS[4], ARGV[i + 2], ARGV[i], ARGV[i + 1], ARGV[2], ARGV[i + 3])
end
return 1
"""
)

# KEYS: jobs, queue, lanes; ARGV: id, json, lane, due, seq.
_PUT = (
    _ENQUEUE_LUA
    + """
enqueue(KEYS[1], KEYS[2], KEYS[3], ARGV[3], ARGV[1], ARGV[2], ARGV[4], ARGV[5])
return 1
"""
)

# Take up to ARGV[3] due jobs that head their lanes, leasing each until ARGV[2]; park the
# ones behind an unfinished job until ARGV[4]. KEYS: queue, lanes, jobs. Lane keys are read
# from the ``lanes`` hash (one Redis, not a cluster). A lane entry whose job is gone is dropped.
_CLAIM_HEADS = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3] * 4)
local taken = {}
for _, id in ipairs(ids) do
  if #taken >= tonumber(ARGV[3]) then break end
  local lane = redis.call('HGET', KEYS[2], id)
  local head = id
  if lane then
    head = redis.call('ZRANGE', lane, 0, 0)[1]
    while head and head ~= id and redis.call('HEXISTS', KEYS[3], head) == 0 do
      redis.call('ZREM', lane, head)
      head = redis.call('ZRANGE', lane, 0, 0)[1]
    end
    if not head then head = id end
  end
  if head == id then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    taken[#taken + 1] = id
  else
    redis.call('ZADD', KEYS[1], ARGV[4], id)
  end
end
return taken
"""

# A job is over: out of the queue and its lane; the next job of the lane is due now.
# KEYS: jobs, queue, lanes; ARGV: id, now.
_FINISH = """
local lane = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
if lane then
  redis.call('ZREM', lane, ARGV[1])
  local head = redis.call('ZRANGE', lane, 0, 0)[1]
  if head then redis.call('ZADD', KEYS[2], 'XX', 'LT', ARGV[2], head) end
end
return 1
"""

# Take up to ARGV[3] members due by ARGV[1], pushing each to ARGV[2] (its lease).
CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids
"""


class RetryQueue:
    def __init__(self, redis: Redis, prefix: str, lease_seconds: float) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:alerter"
        self.jobs_key = f"{self._prefix}:jobs"
        self.queue_key = f"{self._prefix}:queue"
        self.lanes_key = f"{self._prefix}:lanes"
        self.lease = lease_seconds
        self._last_seq = 0
        self._claim_story = redis.register_script(_CLAIM_STORY)
        self._put = redis.register_script(_PUT)
        self._claim_heads = redis.register_script(_CLAIM_HEADS)
        self._finish = redis.register_script(_FINISH)

    def marker(self, subscription_key: str, subject: str) -> str:
        return f"{self._prefix}:alerted:{subscription_key}:{subject}"

    def lane_key(self, job: DeliveryJob) -> str:
        return f"{self._prefix}:lane:{job.lane}"

    def _seq(self) -> int:
        # Microseconds, strictly increasing within this process: jobs made in one batch keep
        # their order in a lane (exact as a Redis score: below 2**53).
        self._last_seq = max(time.time_ns() // 1000, self._last_seq + 1)
        return self._last_seq

    def _job_args(self, job: DeliveryJob) -> list[object]:
        return [job.id, job.model_dump_json(), self.lane_key(job), self._seq()]

    async def claim_story(
        self, pipe: Pipeline, subscription_key: str, subject: str, jobs: list[DeliveryJob]
    ) -> None:
        """Queue on ``pipe``: 1 if this call told the subscription about the subject, else 0.
        The jobs are due at once: the dispatcher claims them like any other."""
        args: list[object] = [MARKER_TTL_SECONDS, time.time()]
        for job in jobs:
            args += self._job_args(job)
        await self._claim_story(
            keys=[
                self.marker(subscription_key, subject),
                self.jobs_key,
                self.queue_key,
                self.lanes_key,
            ],
            args=args,
            client=pipe,
        )

    async def put(self, pipe: Pipeline, job: DeliveryJob, due: float) -> None:
        """Queue or reschedule ``job`` on ``pipe``; a rescheduled job keeps its place in its lane."""
        job_id, json, lane, seq = self._job_args(job)
        await self._put(
            keys=[self.jobs_key, self.queue_key, self.lanes_key],
            args=[job_id, json, lane, due, seq],
            client=pipe,
        )

    async def remove(self, pipe: Pipeline, job_id: str) -> None:
        """The job is over (on ``pipe``): the next job of its lane becomes due at once."""
        await self._finish(
            keys=[self.jobs_key, self.queue_key, self.lanes_key],
            args=[job_id, time.time()],
            client=pipe,
        )

    async def claim_due(self, limit: int = 200) -> list[DeliveryJob]:
        """Lease up to ``limit`` due jobs, each the head of its lane."""
        now = time.time()
        ids = await self._claim_heads(
            keys=[self.queue_key, self.lanes_key, self.jobs_key],
            args=[now, now + self.lease, limit, now + self.lease],
        )
        if not ids:
            return []
        values = await self._redis.hmget(self.jobs_key, ids)
        jobs = []
        for job_id, raw in zip(ids, values, strict=True):
            if raw is None:  # finished elsewhere between the two calls
                await self._redis.zrem(self.queue_key, job_id)
            else:
                jobs.append(DeliveryJob.model_validate_json(raw))
        return jobs

    async def size(self) -> int:
        return int(await self._redis.zcard(self.queue_key))
