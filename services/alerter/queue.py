"""The durable retry queue in Redis: deliveries survive an alerter restart.

Every delivery is written here *before* its first attempt, due one lease from
now; a finished attempt removes it or reschedules it. An alerter that dies
mid-attempt leaves its jobs behind, and whichever alerter runs next picks them
up when the lease runs out. Claiming bumps a job's due time by the lease, in one
Lua call, so two alerters never attempt the same job at once.

Keys (``{prefix}:alerter:...``): ``jobs`` hash id -> DeliveryJob JSON;
``queue`` sorted set id -> due (epoch seconds); ``alerted:{team}/{sub}:{story}``
marks a story a subscription has been told about (alerted or put in a digest).
"""

import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.alerter.jobs import DeliveryJob

MARKER_TTL_SECONDS = 14 * 24 * 3600

# Claim the (subscription, story) pair and queue its jobs, or do nothing if already claimed.
_CLAIM_STORY = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return 0 end
for i = 3, #ARGV, 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[i])
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
        self.lease = lease_seconds
        self._claim_story = redis.register_script(_CLAIM_STORY)
        self._claim_due = redis.register_script(CLAIM_DUE)

    def marker(self, subscription_key: str, story_id: str) -> str:
        return f"{self._prefix}:alerted:{subscription_key}:{story_id}"

    async def claim_story(
        self, pipe: Pipeline, subscription_key: str, story_id: str, jobs: list[DeliveryJob]
    ) -> None:
        """Queue on ``pipe``: 1 if this call told the subscription about the story, else 0."""
        args: list[object] = [MARKER_TTL_SECONDS, time.time() + self.lease]
        for job in jobs:
            args += [job.id, job.model_dump_json()]
        await self._claim_story(
            keys=[self.marker(subscription_key, story_id), self.jobs_key, self.queue_key],
            args=args,
            client=pipe,
        )

    def put(self, pipe: Pipeline, job: DeliveryJob, due: float) -> None:
        pipe.hset(self.jobs_key, job.id, job.model_dump_json())
        pipe.zadd(self.queue_key, {job.id: due})

    def remove(self, pipe: Pipeline, job_id: str) -> None:
        pipe.hdel(self.jobs_key, job_id)
        pipe.zrem(self.queue_key, job_id)

    async def claim_due(self, limit: int = 200) -> list[DeliveryJob]:
        now = time.time()
        ids = await self._claim_due(keys=[self.queue_key], args=[now, now + self.lease, limit])
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
