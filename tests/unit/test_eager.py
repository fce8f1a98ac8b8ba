"""The eager hand-over: a coroutine run until it first waits, then finished as a task would.

The classifier's consumer relies on it for every record (services/classifier/eager.py); a
worker against a real broker, killed mid-stream with a stream buffer small enough to make
the hand-over wait, is tests/integration/test_classifier_crash.py.
"""

import asyncio
import hashlib
import inspect

import faust
import pytest
from faust.transport.consumer import Consumer
from faust.types import TP

from newswatch.classifier.eager import EagerConsumer, start_eagerly, use_eager_consumer

# faust 0.15.3's fetch loop, which EagerConsumer._drain_messages repeats with one change.
FAUST_DRAIN_SHA256 = "44a2500309e83c630493f6828af50166ec8d96a0b3e4fb2bab735f704ae93417"


async def test_a_coroutine_that_never_waits_is_done_without_a_task() -> None:
    done: list[str] = []

    async def put() -> None:
        done.append("put")

    tasks_before = len(asyncio.all_tasks())
    assert start_eagerly(put()) is None
    assert done == ["put"] and len(asyncio.all_tasks()) == tasks_before


async def test_a_coroutine_that_waits_is_finished_by_the_rest() -> None:
    room = asyncio.get_running_loop().create_future()
    steps: list[str] = []

    async def put() -> str:
        steps.append("before")
        value = await room
        steps.append(f"after {value}")
        return "delivered"

    rest = start_eagerly(put())
    assert rest is not None and steps == ["before"]
    task = asyncio.ensure_future(rest)
    await asyncio.sleep(0)
    assert not task.done()
    room.set_result("room")
    assert await task == "delivered"
    assert steps == ["before", "after room"]


async def test_an_error_before_waiting_is_raised_at_once() -> None:
    async def broken() -> None:
        raise ValueError("cannot decode")

    with pytest.raises(ValueError, match="cannot decode"):
        start_eagerly(broken())


async def test_an_error_after_waiting_is_raised_by_the_rest() -> None:
    room = asyncio.get_running_loop().create_future()

    async def broken() -> None:
        await room
        raise KeyError("late")

    rest = start_eagerly(broken())
    assert rest is not None
    room.set_result(None)
    with pytest.raises(KeyError, match="late"):
        await rest


async def test_cancelling_the_rest_reaches_the_coroutine() -> None:
    # As faust's wait_first cancels a blocked hand-over when a rebalance suspends the flow.
    never = asyncio.get_running_loop().create_future()
    cleaned: list[str] = []

    async def blocked() -> None:
        try:
            await never
        finally:
            cleaned.append("finally")

    rest = start_eagerly(blocked())
    assert rest is not None
    task = asyncio.ensure_future(rest)
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned == ["finally"] and never.cancelled()


def test_the_app_gets_the_eager_consumer() -> None:
    app = faust.App("eager-test", broker="kafka://localhost:1")
    use_eager_consumer(app)
    assert app.transport.Consumer is EagerConsumer


def test_faust_s_fetch_loop_is_the_one_the_eager_loop_repeats() -> None:
    source = inspect.getsource(Consumer._drain_messages)
    assert hashlib.sha256(source.encode()).hexdigest() == FAUST_DRAIN_SHA256, (
        "faust's Consumer._drain_messages changed: bring EagerConsumer._drain_messages level "
        "with it (keep only the eager hand-over different), then update FAUST_DRAIN_SHA256"
    )


async def test_a_fetch_loop_paused_by_full_buffers_goes_on_once_one_drains() -> None:
    # faust's own loop sleeps a second when every partition is paused, fetching nothing
    # even if a buffer drained meanwhile; the eager consumer fetches as soon as one does.
    app = faust.App("eager-resume-test", broker="kafka://localhost:1")
    use_eager_consumer(app)
    consumer = app.consumer
    tp = TP("items", 0)
    consumer._set_active_tps({tp})
    consumer.on_buffer_full(tp)  # the stream's buffer is nearly full: tp is paused
    asked: list[set[TP]] = []

    async def getmany(active_partitions: set[TP], **_: float) -> dict[TP, list[object]]:
        asked.append(set(active_partitions))
        return {}

    consumer._getmany = getmany  # type: ignore[method-assign]  # the broker's side
    waiting = asyncio.ensure_future(consumer._wait_next_records(30.0))
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiting.done() and asked == []  # nothing to fetch from yet
    consumer.on_buffer_drop(tp)  # the agent emptied the buffer below 40 %
    records, active = await asyncio.wait_for(waiting, 10)
    assert asked == [{tp}] and active == {tp} and records == {}
