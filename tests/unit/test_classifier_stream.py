"""The batch publisher's bookkeeping, with a fake send (Kafka itself: tests/integration)."""

import asyncio
from dataclasses import dataclass

from newswatch.classifier.classify import Classifier
from newswatch.classifier.stream import BatchPublisher, Pipeline
from newswatch.shared.contracts import DeadLetter
from newswatch.shared.observability import Counters
from newswatch.shared.topics import Topics
from tests.factories import news_item

TOPICS = Topics("nw")
CLASSIFIER = Classifier([])  # no tags: every item goes to the combined topic only


@dataclass
class Rec:
    value: bytes | None
    key: bytes | None = b"k"
    topic: str = "nw.items.v1"
    partition: int = 0
    offset: int = 5


class FakeKafka:
    """Refuses every send to the topics in ``refuse`` (as Kafka refuses a record too large)."""

    def __init__(self, *refuse: str) -> None:
        self.refuse = set(refuse)
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.tries: list[str] = []

    async def send(self, topic: str, key: bytes | None, value: bytes):
        self.tries.append(topic)
        future = asyncio.get_running_loop().create_future()
        if topic in self.refuse:
            future.set_exception(RuntimeError("MessageSizeTooLarge"))
        else:
            self.sent.append((topic, key, value))
            future.set_result(None)
        return future


def publisher(kafka: FakeKafka) -> BatchPublisher:
    return BatchPublisher(kafka.send, CLASSIFIER, TOPICS, Counters(), backoff_seconds=0.001)


async def test_good_records_go_out_and_a_refused_one_is_dead_lettered_after_three_tries():
    kafka = FakeKafka("nw.classified.v1")
    pub = publisher(kafka)
    await pub.publish([Rec(news_item(1).to_json_bytes(), offset=5)])
    assert kafka.tries.count("nw.classified.v1") == 3
    ((topic, key, value),) = kafka.sent
    letter = DeadLetter.model_validate_json(value)
    assert (topic, key, letter.error_kind, letter.offset) == (
        "nw.deadletter.items.v1",
        b"k",
        "publish_failed",
        5,
    )
    assert "nw.classified.v1: not accepted after 3 attempt(s)" in letter.error
    assert pub.counters.snapshot()["dead_lettered.publish_failed"] == 1


async def test_a_refused_dead_letter_is_sent_without_payload_before_giving_up_on_nothing():
    calls = {"n": 0}
    kafka = FakeKafka()

    async def send(topic, key, value):
        calls["n"] += 1
        if calls["n"] <= 3:  # the full dead letter is refused three times
            raise RuntimeError("RecordTooLarge")
        return await kafka.send(topic, key, value)

    pub = BatchPublisher(send, CLASSIFIER, TOPICS, Counters(), backoff_seconds=0.001)
    await pub.publish([Rec(b"\xff" * 100)])
    ((_, _, value),) = kafka.sent
    letter = DeadLetter.model_validate_json(value)
    assert letter.error_kind == "invalid_json" and letter.payload == ""
    assert letter.payload_bytes == 100 and letter.payload_truncated


async def test_every_record_of_a_batch_is_accounted_for():
    kafka = FakeKafka()
    pub = publisher(kafka)
    await pub.publish(
        [Rec(news_item(n).to_json_bytes(), offset=n) for n in range(1, 4)] + [Rec(None)]
    )
    assert [t for t, _, _ in kafka.sent].count("nw.classified.v1") == 3
    assert [t for t, _, _ in kafka.sent].count("nw.deadletter.items.v1") == 1
    counts = pub.counters.snapshot()
    assert counts["classified"] == 3 and counts["dead_lettered.invalid_json"] == 1


class HeldKafka:
    """Takes every send at once but confirms only when the test says so."""

    def __init__(self) -> None:
        self.held: list[asyncio.Future[None]] = []

    async def send(self, topic: str, key: bytes | None, value: bytes):
        future = asyncio.get_running_loop().create_future()
        self.held.append(future)
        return future

    def confirm(self, *indexes: int) -> None:
        for n in indexes:
            self.held[n].set_result(None)


async def test_the_pipeline_acks_a_batch_only_once_kafka_confirmed_it_and_in_order():
    kafka, acked = HeldKafka(), []

    async def ack(batch: str) -> None:
        acked.append(batch)

    pipeline = Pipeline(BatchPublisher(kafka.send, CLASSIFIER, TOPICS, Counters()), ack)
    await pipeline.push("first", [Rec(news_item(1).to_json_bytes(), offset=1)])
    await asyncio.sleep(0.01)  # the first batch's confirmation is under way, not granted
    assert len(kafka.held) == 1 and acked == []
    second = asyncio.ensure_future(
        pipeline.push("second", [Rec(news_item(2).to_json_bytes(), offset=2)])
    )
    await asyncio.sleep(0.01)
    # The second batch is routed and sent while the first still waits for Kafka...
    assert len(kafka.held) == 2 and acked == [] and not second.done()
    kafka.confirm(0)
    await second
    assert acked == ["first"]  # ...and push returns once the first is acknowledged
    await asyncio.sleep(0.01)
    assert acked == ["first"]  # the second's send is not confirmed yet
    kafka.confirm(1)
    await pipeline.drain()
    assert acked == ["first", "second"]


async def test_records_of_a_refused_batch_are_retried_one_by_one():
    kafka, batches = FakeKafka(), []

    async def send_all(outs):
        batches.append([out.key for out in outs])
        refused = asyncio.get_running_loop().create_future()
        refused.set_exception(RuntimeError("the batch was refused"))
        return [refused] * len(outs)  # one Kafka batch: its records share its future

    pub = BatchPublisher(
        kafka.send, CLASSIFIER, TOPICS, Counters(), send_all=send_all, backoff_seconds=0.001
    )
    items = [news_item(1), news_item(2)]
    await pub.publish([Rec(item.to_json_bytes()) for item in items])
    ids = [item.id.encode() for item in items]  # the outputs' keys
    assert batches == [ids]  # the first sends went out together
    # Then each record on its own, through the ordinary send:
    assert sorted((t, k) for t, k, _ in kafka.sent) == [("nw.classified.v1", k) for k in ids]
    counts = pub.counters.snapshot()
    assert counts["classified"] == 2 and counts["send_failed"] == 2
