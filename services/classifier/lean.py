"""faust's per-record extras the classifier does not use, switched off through faust's own
extension points (the ``Monitor`` setting, a topic's ``schema``).

faust calls its Monitor four times a record (message in, stream event in and out, message
out), plus once per record fetched; it fills counters, deques and dicts that only faust's
web statistics page reads, which the classifier does not serve (its /metrics is ours). A
topic's default Schema sends each key and value through faust's codec registry, which
returns raw bytes unchanged. Neither takes part in offsets, acks or commits.
"""

from typing import Any

import faust
from faust.sensors import Monitor
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
