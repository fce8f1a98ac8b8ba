"""Stories in Redis: what the API shows, what an alerter reloads after a restart, and how
several alerters keep one story book.

Keys (``{prefix}:alerter:...``): ``story:{id}`` JSON of the Story and its
signature, expiring after ``RETENTION``; ``report:{item id}`` the ClassifiedItem JSON of each
report folded in (for the console: evidence, facts, each report's headline), expiring with it;
``stories`` sorted set id -> when last saved;
``story_changes`` a stream of (story id, saving instance); ``story_lock`` held while
an instance assigns a batch of reports to stories. Under the lock an instance first
takes in the stories the others changed since it last looked, so reports of one
event reaching two instances still make one story.
"""

import json
import time
import uuid
from contextlib import AbstractAsyncContextManager

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from newswatch.alerter.stories import Signature
from newswatch.shared.contracts import ClassifiedItem, Story

RETENTION_SECONDS = 14 * 24 * 3600
CHANGES_KEPT = 10_000


class StoryStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:alerter"
        self._index = f"{self._prefix}:stories"
        # Public: the console's live stream follows it (XREAD) to show stories as they change.
        self.changes_key = self._changes = f"{self._prefix}:story_changes"
        self._origin = uuid.uuid4().hex[:12]
        self._seen_change = "0-0"

    def pipeline(self) -> Pipeline:
        """For :meth:`save`: the caller executes it."""
        return self._redis.pipeline(transaction=False)

    def assignment_lock(self) -> AbstractAsyncContextManager[object]:
        return self._redis.lock(f"{self._prefix}:story_lock", timeout=30, blocking_timeout=30)

    async def mark_changes_seen(self) -> None:
        """From now on, ``changed_elsewhere`` reports only what comes after this moment."""
        last = await self._redis.xrevrange(self._changes, count=1)
        self._seen_change = last[0][0].decode() if last else "0-0"

    async def changed_elsewhere(self) -> list[tuple[Story, Signature]]:
        """Stories other instances opened or extended since this one last looked."""
        entries = await self._redis.xrange(self._changes, min=f"({self._seen_change}", count=5000)
        if not entries:
            return []
        self._seen_change = entries[-1][0].decode()
        ids = list(
            dict.fromkeys(
                fields[b"id"].decode()
                for _, fields in entries
                if fields[b"by"].decode() != self._origin
            )
        )
        return await self._load(ids)

    def save(
        self,
        pipe: Pipeline,
        story: Story,
        signature: Signature,
        report: ClassifiedItem | None = None,
    ) -> None:
        value = json.dumps(
            {"story": story.model_dump(mode="json"), "signature": signature.to_dict()}
        )
        pipe.set(f"{self._prefix}:story:{story.id}", value, ex=RETENTION_SECONDS)
        if report is not None:
            pipe.set(self.report_key(report.item.id), report.to_json_bytes(), ex=RETENTION_SECONDS)
        pipe.zadd(self._index, {story.id: time.time()})
        pipe.xadd(
            self._changes,
            {"id": story.id, "by": self._origin},
            maxlen=CHANGES_KEPT,
            approximate=True,
        )

    def report_key(self, item_id: str) -> str:
        return f"{self._prefix}:report:{item_id}"

    async def reports(self, item_ids: list[str]) -> dict[str, ClassifiedItem]:
        """The reports kept of these items (none for those saved without one, or expired)."""
        if not item_ids:
            return {}
        values = await self._redis.mget([self.report_key(i) for i in item_ids])
        return {
            i: ClassifiedItem.model_validate_json(v)
            for i, v in zip(item_ids, values, strict=True)
            if v
        }

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
        return await self._load(ids)

    async def _load(self, ids: list[str]) -> list[tuple[Story, Signature]]:
        found = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for raw in await self._redis.mget([f"{self._prefix}:story:{i}" for i in chunk]):
                if raw:
                    data = json.loads(raw)
                    story = Story.model_validate(data["story"])
                    found.append((story, Signature.from_dict(data["signature"])))
        return found
