"""Stories in Redis: what the API shows, and what an alerter reloads after a restart.

Keys (``{prefix}:alerter:...``): ``story:{id}`` JSON of the Story and its
signature, expiring after ``RETENTION``; ``stories`` sorted set id -> first seen.
"""

import json
import time

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.alerter.stories import Signature
from newswatch.shared.contracts import Story

RETENTION_SECONDS = 14 * 24 * 3600


class StoryStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:alerter"
        self._index = f"{self._prefix}:stories"

    def save(self, pipe: Pipeline, story: Story, signature: Signature) -> None:
        value = json.dumps(
            {"story": story.model_dump(mode="json"), "signature": signature.to_dict()}
        )
        pipe.set(f"{self._prefix}:story:{story.id}", value, ex=RETENTION_SECONDS)
        pipe.zadd(self._index, {story.id: time.time()})

    async def get_many(self, story_ids: list[str]) -> dict[str, Story]:
        if not story_ids:
            return {}
        values = await self._redis.mget([f"{self._prefix}:story:{i}" for i in story_ids])
        return {
            i: Story.model_validate(json.loads(v)["story"])
            for i, v in zip(story_ids, values, strict=True)
            if v
        }

    async def recent(self, seconds: float) -> list[tuple[Story, Signature]]:
        """Stories saved in the last ``seconds``."""
        now = time.time()
        await self._redis.zremrangebyscore(self._index, "-inf", now - RETENTION_SECONDS)
        ids = [
            i.decode() for i in await self._redis.zrangebyscore(self._index, now - seconds, "+inf")
        ]
        found = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for raw in await self._redis.mget([f"{self._prefix}:story:{i}" for i in chunk]):
                if raw:
                    data = json.loads(raw)
                    found.append(
                        (
                            Story.model_validate(data["story"]),
                            Signature.from_dict(data["signature"]),
                        )
                    )
        return found
