"""faust's per-record extras the classifier does not use, switched off through faust's own
extension points (the ``Monitor`` setting, a topic's ``schema``, the transport's producer).

faust calls its Monitor four times a record (message in, stream event in and out, message
out), plus once per record fetched; it fills counters, deques and dicts that only faust's
web statistics page reads, which the classifier does not serve (its /metrics is ours). A
topic's default Schema sends each key and value through faust's codec registry, which
returns raw bytes unchanged. Before each record faust also asks its producer buffer (where
tables queue changelog records; the classifier has no table) for its size, reading a setting
through faust's settings registry each time. None of these takes part in offsets, acks or
commits.
"""

from typing import Any

import faust
from faust.sensors import Monitor
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.transport.producer import ProducerBuffer
from faust.types import TP, AppT, EventT, Message, StreamT


class LeanMonitor(Monitor):
    """faust's Monitor without the per-record bookkeeping; the rest (rebalances, commits,
    sends) is kept."""

    def on_message_in(self, tp: TP, offset: int, message: Message) -> None:
        pass

    def on_stream_event_in(
        self, tp: TP, offset: int, stream: StreamT, event: EventT
    ) -> dict[str, Any] | None:
        return None

    def on_stream_event_out(
        self,
        tp: TP,
        offset: int,
        stream: StreamT,
        event: EventT,
        state: dict[str, Any] | None = None,
    ) -> None:
        pass

    def on_message_out(self, tp: TP, offset: int, message: Message) -> None:
        pass

    def track_tp_end_offset(self, tp: TP, offset: int) -> None:
        pass


class RawSchema(faust.Schema):
    """A record's key and value as the bytes Kafka holds, without the codec registry."""

    def loads_key(self, app: AppT, message: Message, **_: Any) -> Any:
        return message.key

    def loads_value(self, app: AppT, message: Message, **_: Any) -> Any:
        return message.value


class LeanProducerBuffer(ProducerBuffer):
    """faust's producer buffer, its size read without a settings look-up per record."""

    @property
    def size(self) -> int:
        return len(self.pending._queue)  # type: ignore[attr-defined]


class LeanProducer(faust_aiokafka.Producer):
    """faust's aiokafka producer with the lean buffer (unthreaded, as the classifier runs
    it: with ``producer_threaded`` the buffer's queue is another one, so faust's is kept)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.app.conf.producer_threaded:
            self.buffer = LeanProducerBuffer(loop=self.loop, beacon=self.beacon)
            self.buffer.app = self.app
