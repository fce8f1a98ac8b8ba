"""How BatchSender groups a batch's records into Kafka record batches, with a stand-in for
the producer (a real broker: tests/integration/test_classifier_outbox.py)."""

import asyncio

from newswatch.classifier.outbox import BatchSender
from newswatch.classifier.routing import Outgoing


class SmallBatch:
    """Holds two records at most; refuses any value of b"huge" even when empty."""

    def __init__(self) -> None:
        self.keys: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None) -> object | None:
        if value == b"huge" or len(self.keys) == 2:
            return None
        self.keys.append(key)
        return object()


class StandInProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, int, list[bytes]]] = []

    def create_batch(self) -> SmallBatch:
        return SmallBatch()

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    async def send_batch(self, batch: SmallBatch, topic: str, *, partition: int):
        self.sent.append((topic, partition, batch.keys))
        future = asyncio.get_running_loop().create_future()
        future.set_result(len(self.sent))  # which batch took the record
        return future


async def test_each_record_goes_once_in_order_full_batches_first() -> None:
    producer, singles = StandInProducer(), []

    async def send(topic: str, key: bytes | None, value: bytes):
        singles.append(key)
        future = asyncio.get_running_loop().create_future()
        future.set_result("alone")
        return future

    sender = BatchSender(producer, lambda key, *_: 0, send, max_record_bytes=1_000)  # type: ignore[arg-type]
    outs = [
        Outgoing("t", b"a", b"1"),
        Outgoing("t", b"b", b"2"),
        Outgoing("t", b"c", b"3"),  # the first batch is full: a second starts
        Outgoing("t", None, b"4"),  # no key: sent on its own
        Outgoing("t", b"e", b"huge"),  # the open batch refuses it: that one goes, and a new
        # batch refuses it too: sent on its own
        Outgoing("t", b"f", b"x" * 2_000),  # over the record limit: sent on its own
        Outgoing("t", b"g", b"7"),
    ]
    futures = await sender(outs)
    assert producer.sent == [("t", 0, [b"a", b"b"]), ("t", 0, [b"c"]), ("t", 0, [b"g"])]
    assert singles == [None, b"e", b"f"]
    assert [f.result() for f in futures] == [1, 1, 2, "alone", "alone", "alone", 3]
