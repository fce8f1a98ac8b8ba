"""One batch of the classifier's stream, from records in to every record accounted for.

Each record is routed (pure), then all of the batch's sends start at once and are confirmed
together, so Kafka batches them. A record whose send fails is retried a few times, then
dead-lettered; a dead letter that fails is retried without its payload, then until Kafka takes
it. Only then does the caller acknowledge the batch's offsets: nothing is skipped unrecorded,
and no record can stop the stream.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from newswatch.classifier.classify import Classifier
from newswatch.classifier.routing import Outgoing, route_item
from newswatch.shared.contracts import DeadLetter
from newswatch.shared.dead_letters import build_dead_letter
from newswatch.shared.errors import PublishError
from newswatch.shared.observability import Counters
from newswatch.shared.topics import Topics

log = logging.getLogger("newswatch.classifier")

# Starts a send and returns the future of its confirmation (faust's and aiokafka's shape).
Send = Callable[[str, bytes | None, bytes], Awaitable["asyncio.Future[Any]"]]
# Starts the sends of many records at once: one future per record, in order (records sent in
# one Kafka batch share its future). Never raises: a record that could not be started gets a
# future that holds the error, and is then retried on its own like any failed send.
SendAll = Callable[[Sequence[Outgoing]], Awaitable[list["asyncio.Future[Any]"]]]

OUTPUTS, DEAD_LETTER, BARE_DEAD_LETTER = 0, 1, 2
Batch = TypeVar("Batch")


class Record(Protocol):
    """What a consumed message offers: faust's Message and aiokafka's ConsumerRecord do."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(slots=True)
class _Work:
    record: Record
    pending: list[Outgoing]
    stage: int = OUTPUTS
    tags: list[str] = field(default_factory=list)
    letter: DeadLetter | None = None
    sent: list[tuple[Outgoing, "asyncio.Future[Any]"]] = field(default_factory=list)
    failures: int = 0
    error: BaseException | None = None
    failed_topic: str = ""


class BatchPublisher:
    def __init__(
        self,
        send: Send,
        classifier: Classifier,
        topics: Topics,
        counters: Counters,
        *,
        send_all: SendAll | None = None,
        attempts: int = 3,
        backoff_seconds: float = 0.2,
        max_backoff_seconds: float = 5.0,
    ) -> None:
        """``send`` starts one record's send (retries and dead letters go one by one);
        ``send_all`` a batch's first sends at once (default: ``send``, record by record)."""
        self._send = send
        self._send_all = send_all or self._one_by_one
        self._classifier = classifier
        self._topics = topics
        self._dead_letters = topics.dead_letter("items")
        self.counters = counters
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds

    async def publish(self, records: Sequence[Record]) -> None:
        """Return once every record is published or dead-lettered, confirmed by Kafka."""
        for work in await self.start(records):
            await self.finish(work)

    async def start(self, records: Sequence[Record]) -> list["_Work"]:
        """Route the records and start all their sends, without waiting for Kafka's
        confirmation."""
        works = [self._route(record) for record in records]
        outs = [out for work in works for out in work.pending]
        futures = iter(await self._send_all(outs))
        for work in works:
            work.sent = [(out, next(futures)) for out in work.pending]
            work.pending = []
        return works

    async def _one_by_one(self, outs: Sequence[Outgoing]) -> list["asyncio.Future[Any]"]:
        return [await send_one(self._send, out) for out in outs]

    async def finish(self, work: "_Work") -> None:
        """Wait until the record's sends are confirmed; retry what failed, dead-letter what
        keeps failing. Returns once every record is published or dead-lettered."""
        rounds = 0
        while True:
            await self._confirm(work)
            if not work.pending:
                break
            self._failed(work)
            rounds += 1
            await asyncio.sleep(min(self._backoff * 2 ** (rounds - 1), self._max_backoff))
            await self._start(work)
        self._count(work)

    def _route(self, record: Record) -> _Work:
        try:
            routed = route_item(
                record.value,
                self._classifier,
                self._topics,
                source_topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key,
            )
        except Exception as exc:  # route_item catches what it expects; this is a bug's net
            log.exception("routing %s[%s]@%s failed", record.topic, record.partition, record.offset)
            return self._dead(_Work(record, []), "internal_error", f"{type(exc).__name__}: {exc}")
        if routed.dead_letter is not None:
            work = _Work(record, [], stage=DEAD_LETTER, letter=routed.dead_letter)
            work.pending = [self._letter_out(work, routed.dead_letter)]
            return work
        return _Work(record, list(routed.outgoing), tags=routed.tags)

    async def _start(self, work: _Work) -> None:
        """Send again, one by one, what is pending (a refusal shows when it is confirmed)."""
        outs, work.pending = work.pending, []
        work.sent += [(out, await send_one(self._send, out)) for out in outs]

    async def _confirm(self, work: _Work) -> None:
        sent, work.sent = work.sent, []
        for out, future in sent:
            if not future.done():
                await asyncio.wait([future])  # unlike await, never raises the send's error
            if future.cancelled():
                self._note(work, out, asyncio.CancelledError("send cancelled"))
            elif (error := future.exception()) is not None:
                self._note(work, out, error)

    @staticmethod
    def _note(work: _Work, out: Outgoing, error: BaseException) -> None:
        work.pending.append(out)
        work.error, work.failed_topic = error, out.topic

    def _failed(self, work: _Work) -> None:
        work.failures += 1
        self.counters.inc("send_failed")
        if work.failures < self._attempts:
            return
        failure = PublishError(work.failed_topic, work.failures, work.error or RuntimeError())
        if work.stage == OUTPUTS:
            self._dead(work, "publish_failed", str(failure))
        elif work.stage == DEAD_LETTER and work.letter is not None:
            # Smaller than any broker's limit: no payload, but its size, hash and position.
            letter = work.letter
            bare = self._build(work.record, letter.error_kind, letter.error, max_payload_bytes=0)
            work.stage, work.letter, work.failures = BARE_DEAD_LETTER, bare, 0
            work.pending = [self._letter_out(work, bare)]
        else:  # Kafka takes nothing at all: keep trying, the offset stays unacknowledged
            log.error("dead letter for %s not accepted yet: %s", work.letter, failure)
            work.failures = 0

    def _dead(self, work: _Work, kind: str, error: str) -> _Work:
        letter = self._build(work.record, kind, error)
        work.stage, work.letter, work.failures = DEAD_LETTER, letter, 0
        work.pending = [self._letter_out(work, letter)]
        return work

    def _build(self, record: Record, kind: str, error: str, **limits: int) -> DeadLetter:
        return build_dead_letter(
            service="classifier",
            error_kind=kind,
            error=error,
            payload=record.value,
            source_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            **limits,
        )

    def _letter_out(self, work: _Work, letter: DeadLetter) -> Outgoing:
        return Outgoing(self._dead_letters, work.record.key, letter.to_json_bytes())

    def _count(self, work: _Work) -> None:
        record, letter = work.record, work.letter
        if letter is None:
            self.counters.inc("classified")
            for tag in work.tags:
                self.counters.inc(f"tagged.{tag}")
            if work.tags:
                key = (record.key or b"?").decode("utf-8", "replace")
                log.info("item %s tagged %s", key, ",".join(work.tags), extra={"item_id": key})
            return
        self.counters.inc(f"dead_lettered.{letter.error_kind}")
        log.warning(
            "dead-lettered %s[%s]@%s (%s): %s",
            record.topic,
            record.partition,
            record.offset,
            letter.error_kind,
            letter.error,
        )


class Pipeline(Generic[Batch]):
    """Routes a batch and starts its sends while the previous batch's sends are confirmed, so
    Kafka's round trip (linger, acks from every replica) overlaps the next batch's
    classification instead of idling the worker. At most one batch is confirming at a time;
    batches are acknowledged in order, each once every record in it is published or
    dead-lettered and confirmed (at least once, nothing skipped)."""

    def __init__(self, publisher: BatchPublisher, ack: Callable[[Batch], Awaitable[None]]) -> None:
        self._publisher = publisher
        self._ack = ack
        self._confirming: asyncio.Task[None] | None = None

    async def push(self, batch: Batch, records: Sequence[Record]) -> None:
        """Route ``records`` and start their sends; return once the previous batch is acked."""
        works = await self._publisher.start(records)
        await self.drain()  # raises what confirming the previous batch raised
        self._confirming = asyncio.ensure_future(self._finish(batch, works))

    async def drain(self) -> None:
        """Wait until the batch in flight, if any, is confirmed and acknowledged."""
        confirming, self._confirming = self._confirming, None
        if confirming is not None:
            await confirming

    def cancel(self) -> None:
        """Stop confirming (the worker stops): its batch stays unacknowledged, so redelivered."""
        if self._confirming is not None:
            self._confirming.cancel()

    async def _finish(self, batch: Batch, works: list[_Work]) -> None:
        for work in works:
            await self._publisher.finish(work)
        await self._ack(batch)


async def send_one(send: Send, out: Outgoing) -> "asyncio.Future[Any]":
    """Start one record's send. A refusal before it leaves (larger than Kafka allows, say)
    comes back as a future that holds the error, like a send Kafka failed."""
    try:
        return await send(out.topic, out.key, out.value)
    except Exception as exc:
        return failed_future(exc)


def failed_future(error: BaseException) -> "asyncio.Future[Any]":
    """A send's future that already holds its error."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    future.set_exception(error)
    return future
