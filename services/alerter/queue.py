"""The durable retry queue in Redis: deliveries survive an alerter restart, in order.

Every delivery is written here *before* its first attempt; every attempt is
made by claiming it from here, and its outcome removes or reschedules it in the
same atomic step that records the outcome. An alerter that dies mid-attempt
leaves the job behind, and whichever alerter runs next picks it up when the lease
runs out. Claiming bumps a job's due time by the lease, in one Lua call, so two
alerters never attempt the same job at once.

Order: each (subscription, destination) is a *lane*, its unfinished jobs by the
time they were made. A lane flows while none of its jobs has failed: its alerts are
attempted as they come, concurrently. Once one fails and is rescheduled, the lane
waits for it: every later job is parked behind it, in line, and when it is
delivered (or fails for good) the next in line is due at once, one at a time,
until the line is empty and the lane flows again. So a later alert is never
delivered before an earlier one still retrying to the same destination, a
receiver back from an outage gets the alerts in the order they were made, and an
outage costs one request per backoff per destination, not one per alert. (Two
first attempts already in flight together may still arrive in either order.)

Keys (``{prefix}:alerter:...``): ``jobs`` hash id -> DeliveryJob JSON;
``queue`` sorted set id -> due (epoch seconds); ``lanes`` hash id -> its lane
key; ``lane:{id}`` sorted set job id -> sequence, and ``lane:{id}:waiting`` the
jobs in line once the lane waits;
``alerted:{team}/{sub}:{subject}`` marks what a subscription has been told about.
"""

import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.alerter.jobs import DeliveryJob

MARKER_TTL_SECONDS = 14 * 24 * 3600

# Queue one job: its JSON, its due time, its lane (keeping its place when rescheduled).
ENQUEUE_LUA = """
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
    ENQUEUE_LUA
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
    ENQUEUE_LUA
    + """
enqueue(KEYS[1], KEYS[2], KEYS[3], ARGV[3], ARGV[1], ARGV[2], ARGV[4], ARGV[5])
return 1
"""
)

# The earliest job a lane holds back for (stale entries, whose job is gone, are dropped).
WAITING_LUA = """
local function first_waiting(jobs, lane)
  local waiting = lane .. ':waiting'
  local first = redis.call('ZRANGE', waiting, 0, 0)[1]
  while first and redis.call('HEXISTS', jobs, first) == 0 do
    redis.call('ZREM', waiting, first)
    first = redis.call('ZRANGE', waiting, 0, 0)[1]
  end
  return first
end
"""

# Take up to ARGV[3] due jobs, leasing each until ARGV[2]; a lane that is holding back lets
# only its first waiting job go, and parks the others until ARGV[4] (they wait in line).
# KEYS: queue, lanes, jobs. Lane keys are read from the ``lanes`` hash (one Redis, no cluster).
_CLAIM = (
    WAITING_LUA
    + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3] * 4)
local taken = {}
for _, id in ipairs(ids) do
  if #taken >= tonumber(ARGV[3]) then break end
  local lane = redis.call('HGET', KEYS[2], id)
  local first = lane and first_waiting(KEYS[3], lane)
  if (not first) or first == id then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    taken[#taken + 1] = id
  else
    redis.call('ZADD', KEYS[1], ARGV[4], id)
    redis.call('ZADD', lane .. ':waiting', redis.call('ZSCORE', lane, id), id)
  end
end
return taken
"""
)

# A failed attempt: the job is rescheduled and its lane waits for it.
RETRY_LUA = """
local function retry(jobs, queue, lanes, lane, id, json, due, seq)
  enqueue(jobs, queue, lanes, lane, id, json, due, seq)
  redis.call('ZADD', lane .. ':waiting', redis.call('ZSCORE', lane, id), id)
end
"""

# A job is over: out of the queue and its lane. If its lane was waiting for it, the next job
# in line is due now; the lane flows again once none waits.
FINISH_LUA = (
    WAITING_LUA
    + """
local function finish(jobs, queue, lanes, id, now)
  local lane = redis.call('HGET', lanes, id)
  redis.call('HDEL', jobs, id)
  redis.call('ZREM', queue, id)
  redis.call('HDEL', lanes, id)
  if not lane then return end
  redis.call('ZREM', lane, id)
  if redis.call('ZREM', lane .. ':waiting', id) == 0 then return end
  local first = first_waiting(jobs, lane)
  if first then redis.call('ZADD', queue, 'XX', 'LT', now, first) end
end
"""
)

# KEYS: jobs, queue, lanes; ARGV: id, now.
_FINISH = FINISH_LUA + "finish(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2])"

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
        self._claim = redis.register_script(_CLAIM)
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

    def job_args(self, job: DeliveryJob) -> tuple[str, str, str, int]:
        """(id, JSON, lane key, sequence): what ``enqueue`` in Lua takes."""
        return job.id, job.model_dump_json(), self.lane_key(job), self._seq()

    async def claim_story(
        self, pipe: Pipeline, subscription_key: str, subject: str, jobs: list[DeliveryJob]
    ) -> None:
        """Queue on ``pipe``: 1 if this call told the subscription about the subject, else 0.
        The jobs are due at once: the dispatcher claims them like any other."""
        args: list[object] = [MARKER_TTL_SECONDS, time.time()]
        for job in jobs:
            args += self.job_args(job)
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
        job_id, json, lane, seq = self.job_args(job)
        await self._put(
            keys=[self.jobs_key, self.queue_key, self.lanes_key],
            args=[job_id, json, lane, due, seq],
            client=pipe,
        )

    async def remove(self, pipe: Pipeline, job_id: str) -> None:
        """The job is over (on ``pipe``): if its lane waited for it, the lane moves on."""
        await self._finish(
            keys=[self.jobs_key, self.queue_key, self.lanes_key],
            args=[job_id, time.time()],
            client=pipe,
        )

    async def claim_due(self, limit: int = 200) -> list[DeliveryJob]:
        """Lease up to ``limit`` due jobs that their lanes let go."""
        now = time.time()
        ids = await self._claim(
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
