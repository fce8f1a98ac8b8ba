"""Feedback in Redis: one hash per record, sorted-set indexes, and an outbox for Kafka.

Why hashes and not a stream: a record changes after it is written (a reviewer accepts
or rejects it), the link must find "the same feedback again" by id to stay idempotent,
and teams list their own newest first, filtered; a stream is append-only and is read
in order, so each of those would mean folding the whole stream. The outbox is what a
stream would have given us: the ids whose latest state Kafka has not acknowledged yet.

Keys (``{prefix}:feedback:...``): ``record:{id}`` hash field -> JSON value of that
Feedback field; ``team:{team}`` and ``all`` sorted sets id -> created (epoch seconds);
``outbox`` sorted set id -> when its latest state was written.
"""

import json
import time
from typing import Any

from redis.asyncio import Redis

from newswatch.shared.contracts import Feedback, FeedbackStatus
from newswatch.shared.contracts.base import utc_now

# Create once: a second report of the same (team, kind, tag, item) finds the first.
_ADD = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[2])
return 1
"""

# Leave the outbox only if no newer state was queued while this one was being sent.
_SENT = """
if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
"""


def _encode(feedback: Feedback) -> dict[str, str]:
    return {k: json.dumps(v) for k, v in feedback.model_dump(mode="json").items()}


def _decode(raw: dict[bytes, bytes]) -> Feedback:
    return Feedback.model_validate({k.decode(): json.loads(v) for k, v in raw.items()})


class FeedbackStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:feedback"
        self._all = f"{self._prefix}:all"
        self.outbox_key = f"{self._prefix}:outbox"
        self._add = redis.register_script(_ADD)
        self._sent = redis.register_script(_SENT)

    def _record(self, feedback_id: str) -> str:
        return f"{self._prefix}:record:{feedback_id}"

    async def add(self, feedback: Feedback) -> tuple[Feedback, bool]:
        """The stored record and whether this call created it (False: it existed already)."""
        fields = [x for pair in _encode(feedback).items() for x in pair]
        created = await self._add(
            keys=[
                self._record(feedback.id),
                f"{self._prefix}:team:{feedback.team}",
                self._all,
                self.outbox_key,
            ],
            args=[feedback.created_at.timestamp(), feedback.id, *fields],
        )
        if created:
            return feedback, True
        existing = await self.get(feedback.id)
        assert existing is not None  # records are never deleted
        return existing, False

    async def get(self, feedback_id: str) -> Feedback | None:
        raw = await self._redis.hgetall(self._record(feedback_id))
        return _decode(raw) if raw else None

    async def many(self, ids: list[str]) -> list[Feedback]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for i in ids:
                pipe.hgetall(self._record(i))
            found = await pipe.execute()
        return [_decode(raw) for raw in found if raw]

    async def find(
        self,
        team: str | None = None,
        *,
        status: FeedbackStatus | None = None,
        tag: str | None = None,
        since: float | None = None,
        limit: int = 1000,
    ) -> list[Feedback]:
        """Newest first; ``team`` None: every team's (the administrator's view)."""
        index = f"{self._prefix}:team:{team}" if team else self._all
        ids = await self._redis.zrevrangebyscore(index, "+inf", since if since else "-inf")
        found: list[Feedback] = []
        for start in range(0, len(ids), 500):
            for record in await self.many([i.decode() for i in ids[start : start + 500]]):
                if (status is None or record.status is status) and (
                    tag is None or record.tag == tag
                ):
                    found.append(record)
                    if len(found) >= limit:
                        return found
        return found

    async def review(self, feedback_id: str, status: FeedbackStatus, by: str) -> Feedback | None:
        record = await self.get(feedback_id)
        if record is None:
            return None
        record.status, record.reviewed_by, record.reviewed_at = status, by, utc_now()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._record(feedback_id), mapping=_encode(record))
            pipe.zadd(self.outbox_key, {feedback_id: time.time()})
            await pipe.execute()
        return record

    async def unpublished(self, limit: int = 500) -> list[tuple[Feedback, Any]]:
        """Records whose latest state Kafka has not acknowledged, each with its outbox mark."""
        marks = await self._redis.zrange(self.outbox_key, 0, limit - 1, withscores=True)
        records = {r.id: r for r in await self.many([m.decode() for m, _ in marks])}
        return [(records[m.decode()], score) for m, score in marks if m.decode() in records]

    async def published(self, feedback_id: str, mark: Any) -> None:
        await self._sent(keys=[self.outbox_key], args=[feedback_id, repr(mark)])
