"""Redis commands issued in the same turn of the event loop, sent as one pipeline.

A fetcher polls a hundred feeds at once, each with a read and a write of its own. Sent one
by one, each command costs redis-py more CPU than the command itself: a connection taken
from the pool and given back, a send, a read, and the await machinery around them. Queued
for one loop turn and sent together, a hundred commands share one of each.

Each caller still awaits its own reply and gets its own error (a wrong type, say); a lost
connection fails every command of its batch with the same exception, which the callers
handle as they handled a failed command before. Batches are pipelines without MULTI: the
commands of different callers are independent, and one's failure must not undo another's.
"""

import asyncio
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

Command = Callable[[Pipeline], object]  # queues one command on the pipeline: pipe.hget(...)

MAX_BATCH = 500  # commands per pipeline; a larger backlog goes out as several


class CommandBatcher:
    def __init__(self, redis: Redis, max_batch: int = MAX_BATCH) -> None:
        self._redis = redis
        self._max_batch = max_batch
        self._queued: list[tuple[Command, asyncio.Future[Any]]] = []
        self._flush_on: asyncio.AbstractEventLoop | None = None  # the loop a flush is due on
        self._sending: set[asyncio.Task[None]] = set()  # held so they are not collected

    async def call(self, command: Command) -> Any:
        """The reply to ``command``, sent with every other command queued this loop turn.

        A caller cancelled after queueing does not take its command back: it is sent."""
        loop = asyncio.get_running_loop()
        if self._flush_on is not loop:
            # None due here. Calls queued on a loop that closed before its flush went with it.
            self._queued, self._flush_on = [], loop
            loop.call_soon(self._flush)
        future: asyncio.Future[Any] = loop.create_future()
        self._queued.append((command, future))
        return await future

    def _flush(self) -> None:
        queued, self._queued, self._flush_on = self._queued, [], None
        for start in range(0, len(queued), self._max_batch):
            task = asyncio.ensure_future(self._send(queued[start : start + self._max_batch]))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send(self, batch: list[tuple[Command, asyncio.Future[Any]]]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for command, _ in batch:
                    command(pipe)
                replies = await pipe.execute(raise_on_error=False)
        except BaseException as exc:  # cancellation included: no caller waits forever
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)
