"""faust's ``Stream.noack_take`` without a turn of the event loop per record.

faust hands an agent its records one at a time: its stream iterator awaits ``sleep(0)``
before each one (a whole turn of the event loop: a poll of the sockets, the ready tasks),
runs each through the take buffer's processor coroutine, and a background task fills the
buffer that ``noack_take`` hands over. The classifier takes hundreds of records a batch, so
that was a loop turn and a dozen coroutine steps per record for nothing but moving it into a
list.

``take_batches`` takes the records from the same queue (the agent's topic channel, which
faust's consumer fills) straight into a batch, with the bookkeeping faust's iterator does per
record, in the same order: a record fetched before a rebalance (an older generation) or while
the flow is stopped is acknowledged and left out, as faust skips it; every other record is
tracked as unacknowledged (so a rebalance waits for it) and handed to the sensors. Nothing is
acknowledged here: the caller acknowledges each event once its outputs are confirmed
(``Stream.ack``), as with ``noack_take``. A batch is handed over once it holds ``max_``
records, or ``within`` seconds after the first wait for one, whichever comes first: the
queue's pressure callbacks (which pause and resume partitions) run as they do for faust,
through the queue's own ``get``. tests/unit/test_take.py fails if faust's iterator changes
under us (faust-streaming is pinned in pyproject.toml).
"""

import asyncio
import time
from collections.abc import AsyncIterator

from faust.types import EventT, StreamT


async def take_batches(stream: StreamT, max_: int, within: float) -> AsyncIterator[list[EventT]]:
    """Lists of up to ``max_`` events of ``stream``, unacknowledged, as ``noack_take`` gives."""
    app = stream.app
    queue = stream.channel.queue  # type: ignore[attr-defined]
    flow = app.flow_control
    consumer = app.consumer
    acking_topics = app.topics._acking_topics  # type: ignore[attr-defined]
    unacked = consumer._unacked_messages  # type: ignore[attr-defined]
    on_message_in = stream._on_message_in  # type: ignore[attr-defined]
    on_event_in = stream._on_stream_event_in  # type: ignore[attr-defined]
    clock = time.monotonic
    started_here = await stream.maybe_start()
    try:
        while not stream.should_stop:
            events: list[EventT] = []
            deadline = clock() + within
            while len(events) < max_:
                if queue.empty():
                    left = deadline - clock()
                    if left <= 0:
                        if events:
                            break
                        deadline, left = clock() + within, within
                    try:
                        async with asyncio.timeout(left):
                            event = await queue.get()
                    except TimeoutError:
                        continue
                else:
                    event = queue.get_nowait()
                message = event.message
                if not flow.is_active() or message.generation_id != app.consumer_generation_id:
                    await stream.ack(event)  # fetched before a rebalance: faust skips and acks it
                    continue
                tp, offset = message.tp, message.offset
                if message.topic in acking_topics and not message.tracked:
                    message.tracked = True
                    unacked.add(message)
                    on_message_in(tp, offset, message)
                on_event_in(tp, offset, stream, event)
                events.append(event)
            stream.events_total += len(events)  # type: ignore[attr-defined]
            yield events
    except StopAsyncIteration:
        # faust stops an agent by throwing this into its channel (Actor.cancel). An async
        # generator may not let it out (Python makes it a RuntimeError, which faust logs as
        # the agent crashing on every clean stop): end the batches, as faust's own iterator
        # does. Records taken into an unfinished batch stay unacknowledged: redelivered.
        return
    finally:
        if started_here:
            await stream.stop()
            stream.service_reset()
