"""The lean producer buffer answers as faust's does, without faust's settings look-up."""

import faust
from faust.transport.producer import ProducerBuffer

from newswatch.classifier.eager import use_eager_consumer
from newswatch.classifier.lean import LeanProducerBuffer


async def test_the_worker_transport_gives_a_buffer_that_counts_what_is_pending() -> None:
    app = faust.App("lean-test", broker="kafka://127.0.0.1:1", web_enabled=False)
    use_eager_consumer(app)
    buffer = app.producer.buffer
    assert isinstance(buffer, LeanProducerBuffer) and buffer.app is app
    assert buffer.size == ProducerBuffer.size.fget(buffer) == 0  # type: ignore[attr-defined]
    for n in range(3):  # what a table's send_soon queues while the buffer is not running
        buffer.pending.put_nowait(n)  # type: ignore[arg-type]
    assert buffer.size == ProducerBuffer.size.fget(buffer) == 3  # type: ignore[attr-defined]
