"""faust's fetch loop without a task per record: the one change that halves its cost per item.

faust's consumer hands each fetched record to its conductor with
``await self.wait_first(callback(message), self.suspend_flow.wait())``: four tasks, an
``asyncio.wait`` and three cancellations per record, so that a record blocked on a full
stream buffer can be abandoned when a rebalance suspends the flow. Almost every record never
blocks: the conductor puts it in the stream's buffer and returns. That bookkeeping was most of
faust's cost per record here (a consume-and-ack agent: about 190 CPU us per item with it,
about 75 without).

``EagerConsumer`` starts the conductor's coroutine at once, as Python 3.12's eager tasks do.
If it finishes without waiting, the record is in the buffer and no task was made. If it has to
wait, the rest of the coroutine goes to ``wait_first`` exactly as faust does it. Offsets, acks,
gaps and commits are faust's own code paths; only the hand-over changed. faust-streaming is
pinned (pyproject.toml), and tests/unit/test_eager.py fails if faust's loop changes under us.

One more change, in how the loop waits: faust pauses a partition whose stream buffer is nearly
full, and with every partition paused it sleeps a whole second before it looks again. The
eager consumer waits only until a buffer has drained (faust's own resume signal).
"""

import asyncio
import types
from collections.abc import Coroutine, Generator
from typing import Any, cast

from faust.transport.consumer import CONSUMER_FETCHING
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, AppT
from mode import ServiceT

from newswatch.classifier.lean import LeanProducer


@types.coroutine
def _resume(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Generator[Any, Any, Any]:
    """Go on with a coroutine that was stepped once and yielded ``waiting_on``."""
    while True:
        try:
            sent = yield waiting_on
        except BaseException as exc:  # cancellation included: hand it to the coroutine
            try:
                waiting_on = coro.throw(exc)
            except StopIteration as done:
                return done.value
        else:
            try:
                waiting_on = coro.send(sent)
            except StopIteration as done:
                return done.value


async def _rest_of(coro: Coroutine[Any, Any, Any], waiting_on: Any) -> Any:
    return await _resume(coro, waiting_on)


def start_eagerly(coro: Coroutine[Any, Any, Any]) -> Coroutine[Any, Any, Any] | None:
    """Run ``coro`` until it first waits: None if it finished, else an awaitable of the rest.

    An exception the coroutine raises before waiting propagates here, as ``await`` would.
    """
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return _rest_of(coro, waiting_on)


class EagerConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer with the fetch loop of faust 0.15.3 and eager hand-over, and
    no second-long nap when every partition is paused for a full stream buffer."""

    _resumed: asyncio.Event | None = None  # set while the fetch loop waits for a drained buffer

    def on_buffer_drop(self, tp: TP) -> None:
        super().on_buffer_drop(tp)
        if self._resumed is not None:
            self._resumed.set()

    async def _wait_next_records(self, seconds: float) -> Any:
        # faust pauses a partition whose stream buffer is nearly full, and resumes it once the
        # buffer is down to 40 %. With every partition paused its fetch loop sleeps a full
        # second, while the agent may empty the buffer in a fraction of that and then idle:
        # a worker that classifies 4,000 items/s waited a sixth of its time. Wait for the
        # resume instead (at most ``seconds``), then go on with faust's own code.
        if self.flow_active and not self.app.client_only and not self._get_active_partitions():
            self._resumed = resumed = asyncio.Event()
            try:
                async with asyncio.timeout(seconds):
                    await resumed.wait()
            except TimeoutError:
                pass  # still full: faust's own wait follows
            finally:
                self._resumed = None
        return await super()._wait_next_records(seconds)

    async def _drain_messages(self, fetcher: ServiceT) -> None:
        callback, getmany = self.callback, self.getmany
        stopped, fetcher_stopped = self._stopped.is_set, fetcher._stopped.is_set  # type: ignore[attr-defined]
        read_offset = self._read_offset
        acks_enabled_for = self.app.topics.acks_enabled_for
        since_yield = 0
        try:
            while not (stopped() or fetcher_stopped()):
                self.diag.set_flag(CONSUMER_FETCHING)
                records = getmany(timeout=1.0)
                await self.sleep(0)  # getmany may return at once, loop after loop
                if self.should_stop:
                    continue
                async for tp, message in records:
                    since_yield += 1
                    if since_yield > 100:  # let health checks and timers run
                        await asyncio.sleep(0)
                        since_yield = 0
                    offset, last = message.offset, read_offset[tp]
                    if last is not None and offset < last:
                        continue  # read before: faust drops it here too
                    if last and offset - last > 1 and acks_enabled_for(message.topic):
                        await self._add_gap(tp, last + 1, offset)
                    if self._commit_every is not None and self._n_acked >= self._commit_every:
                        self._n_acked = 0
                        await self.commit()
                    # faust's callback is a coroutine function, typed as any awaitable.
                    rest = start_eagerly(cast(Coroutine[Any, Any, Any], callback(message)))
                    if rest is not None:  # the stream's buffer is full: wait as faust does
                        await self.wait_first(rest, self.suspend_flow.wait())
                    read_offset[tp] = offset
                self.diag.unset_flag(CONSUMER_FETCHING)
        except self.consumer_stopped_errors:
            if self.transport.app.should_stop:
                self.log.info("Broker stopped consumer, shutting down...")
                return
            raise
        except asyncio.CancelledError:
            if self.transport.app.should_stop:
                self.log.info("Consumer shutting down for user cancel.")
                return
            raise
        except Exception as exc:
            self.log.exception("Drain messages raised: %r", exc)
            raise
        finally:
            self.diag.unset_flag(CONSUMER_FETCHING)


class EagerTransport(faust_aiokafka.Transport):
    Consumer = EagerConsumer
    Producer = LeanProducer


def use_eager_consumer(app: AppT) -> None:
    """Give ``app`` the eager consumer (and the lean producer, lean.py); call before the
    app's first topic or agent."""
    app.transport = EagerTransport(app.conf.broker_consumer, app)
