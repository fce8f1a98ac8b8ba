"""The live stream's source: one reader of the story store's change stream per API process,
fanned out to every open console.

The alerter appends ``(story id, instance)`` to ``story_changes`` (a Redis stream) each
time a report opens or joins a story. One task here blocks on XREAD and hands each new
entry's id to every open console's queue; each console then reads the story and keeps
it if its filter admits it. Twenty consoles cost one blocked Redis connection, not twenty.
A console that reconnects names the last entry it saw (``Last-Event-ID``) and is sent
what it missed from the stream itself.
"""

import asyncio
import contextlib
import logging

from redis.asyncio import Redis

log = logging.getLogger("newswatch.console")

QUEUE_SIZE = 1000  # a console this far behind is lagging badly: it misses entries, not memory
BLOCK_MS = 5000
CATCH_UP = 500  # entries a reconnecting console is sent at most

Change = tuple[str, str]  # (stream entry id, story id)


def _changes(entries: list) -> list[Change]:
    return [(entry.decode(), fields[b"id"].decode()) for entry, fields in entries]


class LiveStories:
    def __init__(self, redis: Redis, changes_key: str) -> None:
        self._redis = redis
        self._key = changes_key
        self._queues: set[asyncio.Queue[Change]] = set()
        self._task: asyncio.Task[None] | None = None

    def subscribe(self) -> asyncio.Queue[Change]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._follow())
        queue: asyncio.Queue[Change] = asyncio.Queue(QUEUE_SIZE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Change]) -> None:
        self._queues.discard(queue)

    async def since(self, entry_id: str) -> list[Change]:
        """What came after ``entry_id`` (a console's Last-Event-ID)."""
        entries = await self._redis.xrange(self._key, min=f"({entry_id}", count=CATCH_UP)
        return _changes(entries)

    async def _follow(self) -> None:
        last = "$"
        while True:
            try:
                if last == "$":  # pin the start, so a Redis hiccup later loses nothing
                    newest = await self._redis.xrevrange(self._key, count=1)
                    last = newest[0][0].decode() if newest else "0-0"
                found = await self._redis.xread({self._key: last}, count=500, block=BLOCK_MS)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: the consoles show it; try again shortly
                log.warning("console live stream: %r; retrying", exc)
                await asyncio.sleep(1.0)
                continue
            for _, entries in found:
                changes = _changes(entries)
                last = changes[-1][0]
                for queue in list(self._queues):
                    for change in changes:
                        with contextlib.suppress(asyncio.QueueFull):
                            queue.put_nowait(change)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
