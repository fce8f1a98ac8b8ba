"""Acknowledged stories, per team: who took a story in hand, and when.

Keys (``{prefix}:console:acks:{team}``): hash story id -> JSON ``{"by", "at"}``; the
hash expires with the stories (their retention), renewed on every acknowledgement.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

from newswatch.alerter.story_store import RETENTION_SECONDS
from newswatch.shared.contracts.base import utc_now


@dataclass(frozen=True, slots=True)
class Ack:
    by: str
    at: datetime


class AckStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:console:acks"

    async def ack(self, team: str, story_id: str, by: str) -> Ack:
        """The story's acknowledgement: the first one stands (a second click changes nothing)."""
        key = f"{self._prefix}:{team}"
        mark = Ack(by, utc_now())
        value = json.dumps({"by": mark.by, "at": mark.at.isoformat()})
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, story_id, value).hget(key, story_id).expire(key, RETENTION_SECONDS)
            _, stored, _ = await pipe.execute()
        return _decode(stored)

    async def many(self, team: str, story_ids: list[str]) -> dict[str, Ack]:
        if not story_ids:
            return {}
        values = await self._redis.hmget(f"{self._prefix}:{team}", story_ids)
        return {i: _decode(v) for i, v in zip(story_ids, values, strict=True) if v}


def _decode(raw: bytes) -> Ack:
    data = json.loads(raw)
    return Ack(data["by"], datetime.fromisoformat(data["at"]))
