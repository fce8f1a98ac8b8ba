"""The classifier's batches: faust's noack_take without a loop turn per record (take.py).

Records go in as faust's consumer delivers them (through the topic channel's queue); what
comes out is checked against what faust's stream iterator does with each record. A worker
against a real broker, with rebalances, kills and poison records, is
tests/integration/test_classifier_crash.py and its neighbours.
"""

import asyncio
import hashlib
import inspect
import time
from collections.abc import AsyncIterator
from pathlib import Path

import faust
import faust._cython
import pytest
from faust.streams import Stream
from faust.transport.drivers.aiokafka import ConsumerMessage
from faust.types import TP, EventT

from newswatch.classifier.take import take_batches

# faust 0.15.3's per-record bookkeeping, which take_batches repeats: the Python iterator, the
# Cython one (which the worker runs) and noack_take.
FAUST_PY_AITER_SHA256 = "3a48ee257a65435b482d51edb74f2993a67867949b1ef89b49fea893769e0614"
FAUST_NOACK_TAKE_SHA256 = "f2cc2dbfc162d2006c94361c0ed68535c95484020849eb0d4210c1f52c4c430a"
FAUST_CYTHON_STREAMS_SHA256 = "0041622f4a251188f53d73e6d51d18d16f0f427512df1e96c043cfdeea4c3250"

TOPIC = "items"
TP0 = TP(TOPIC, 0)


class Harness:
    def __init__(self) -> None:
        self.app = faust.App("take-test", broker="kafka://127.0.0.1:1", web_enabled=False)
        self.channel = self.app.topic(TOPIC, key_serializer="raw", value_serializer="raw").clone(
            is_iterator=True
        )
        self.stream = self.app.stream(self.channel)
        self.app.topics._acking_topics.add(TOPIC)  # as the conductor does for an agent's topic
        self.app.flow_control.resume()  # as after the first assignment

    def message(self, offset: int, *, generation: int | None = None) -> ConsumerMessage:
        current = self.app.consumer_generation_id
        return ConsumerMessage(
            TOPIC,
            0,
            offset,
            0.0,
            0,
            [],
            b"key",
            b"value %d" % offset,
            None,
            3,
            7,
            TP0,
            generation_id=current if generation is None else generation,
        )

    async def deliver(self, *offsets: int, generation: int | None = None) -> list[ConsumerMessage]:
        messages = [self.message(offset, generation=generation) for offset in offsets]
        for message in messages:
            await self.channel.deliver(message)
        return messages

    def batches(self, max_: int, within: float) -> AsyncIterator[list[EventT]]:
        return aiter(take_batches(self.stream, max_, within))


def offsets(events: list[EventT]) -> list[int]:
    return [event.message.offset for event in events]


async def test_a_full_batch_is_handed_over_at_once_and_the_rest_after_the_wait() -> None:
    harness = Harness()
    await harness.deliver(*range(5))
    batches = harness.batches(3, within=0.2)
    started = time.monotonic()
    assert offsets(await anext(batches)) == [0, 1, 2]
    assert time.monotonic() - started < 0.15  # full: no wait
    assert offsets(await anext(batches)) == [3, 4]
    assert time.monotonic() - started >= 0.19  # not full: the batch waited ``within``


async def test_records_arriving_during_the_wait_join_the_batch() -> None:
    harness = Harness()
    batches = harness.batches(3, within=5.0)
    taking = asyncio.ensure_future(anext(batches))
    await asyncio.sleep(0.05)
    assert not taking.done()
    await harness.deliver(7)
    await asyncio.sleep(0.05)
    assert not taking.done()  # one record, and time left: it waits for more
    await harness.deliver(8, 9)
    assert offsets(await asyncio.wait_for(taking, 1)) == [7, 8, 9]


async def test_taken_records_are_tracked_unacknowledged_until_the_caller_acks() -> None:
    harness = Harness()
    await harness.deliver(0, 1)
    events = await anext(harness.batches(2, within=0.1))
    consumer = harness.app.consumer
    messages = [event.message for event in events]
    assert all(m.tracked and not m.acked for m in messages)
    assert set(messages) <= set(consumer._unacked_messages)  # a rebalance waits for them
    assert harness.stream.events_total == 2
    for event in events:
        await harness.stream.ack(event)
    assert all(m.acked for m in messages)
    assert not set(messages) & set(consumer._unacked_messages)
    assert list(consumer._acked[TP0]) == [0, 1]


async def test_records_of_an_older_generation_are_acknowledged_and_left_out() -> None:
    # faust skips a record fetched before a rebalance, and acknowledges it so the lag does
    # not grow; it was never tracked, so nothing waits for it.
    harness = Harness()
    (stale,) = await harness.deliver(0, generation=harness.app.consumer_generation_id - 1)
    await harness.deliver(1, 2)
    events = await anext(harness.batches(2, within=0.1))
    assert offsets(events) == [1, 2]
    assert stale.acked and not stale.tracked


async def test_records_taken_while_the_flow_is_stopped_are_left_out() -> None:
    harness = Harness()
    stopped = await harness.deliver(0, 1)
    harness.app.flow_control.suspend()  # a rebalance began
    batches = harness.batches(2, within=0.05)
    taking = asyncio.ensure_future(anext(batches))
    await asyncio.sleep(0.15)
    assert not taking.done() and all(m.acked and not m.tracked for m in stopped)
    harness.app.flow_control.resume()
    await harness.deliver(2, 3)
    assert offsets(await asyncio.wait_for(taking, 1)) == [2, 3]


async def test_an_error_thrown_into_the_channel_is_raised() -> None:
    harness = Harness()
    batches = harness.batches(2, within=5.0)
    taking = asyncio.ensure_future(anext(batches))
    await asyncio.sleep(0.01)
    await harness.channel.throw(KeyError("broken"))
    with pytest.raises(KeyError, match="broken"):
        await asyncio.wait_for(taking, 1)


async def test_a_stopping_agent_ends_the_batches_instead_of_crashing() -> None:
    """faust stops an agent's actor by throwing StopAsyncIteration into its channel; out of
    an async generator it would become a RuntimeError, logged as a crash on every stop."""
    harness = Harness()
    (taken,) = await harness.deliver(0)
    batches = harness.batches(2, within=5.0)
    taking = asyncio.ensure_future(anext(batches))
    await asyncio.sleep(0.01)  # record 0 taken, waiting for a second one
    harness.channel._throw(StopAsyncIteration())  # as faust's Actor.cancel does
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(taking, 1)
    assert taken.tracked and not taken.acked  # left for the next worker to take again


def test_faust_s_per_record_bookkeeping_is_the_one_take_batches_repeats() -> None:
    pyx = Path(faust._cython.__file__).parent / "streams.pyx"
    found = {
        "Stream._py_aiter": hashlib.sha256(inspect.getsource(Stream._py_aiter).encode()),
        "Stream.noack_take": hashlib.sha256(inspect.getsource(Stream.noack_take).encode()),
        "_cython/streams.pyx": hashlib.sha256(pyx.read_bytes()),
    }
    expected = {
        "Stream._py_aiter": FAUST_PY_AITER_SHA256,
        "Stream.noack_take": FAUST_NOACK_TAKE_SHA256,
        "_cython/streams.pyx": FAUST_CYTHON_STREAMS_SHA256,
    }
    changed = [name for name, digest in found.items() if digest.hexdigest() != expected[name]]
    assert not changed, (
        f"faust's {', '.join(changed)} changed: bring take_batches level with what faust now "
        "does per record (skips, tracking, sensors), then update the digests here"
    )
