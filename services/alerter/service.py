"""The alerter: classified items in, one alert per story per subscriber out.

Three loops share one process. The consumer groups each tagged item into a
story, matches it against the subscriptions, and for every subscription told
about a story for the first time queues delivery jobs (or a digest entry) in
Redis, commits the offsets and attempts the jobs in the background; a crash
before the commit replays the batch and the per-story markers keep it from
alerting twice, a crash after it leaves the jobs for the retry loop. The retry loop
attempts queued jobs whose time has come; the digest loop sends digests and
follow-ups when they fall due.
"""

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError
from redis.asyncio import Redis

from newswatch.alerter.channels import Channel
from newswatch.alerter.dispatch import Dispatcher
from newswatch.alerter.jobs import digest_jobs
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.matching import SubscriptionIndex
from newswatch.alerter.pending import PendingDigests
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.routing import Router, Told
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.stories import StoryBook
from newswatch.alerter.story_store import StoryStore
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.contracts import (
    ClassifiedItem,
    DeadLetter,
    Subscription,
)
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.alerter")

MAX_BATCHES_ATTEMPTING = 20  # back-pressure: stop consuming while this many are attempted


class Alerter:
    def __init__(
        self,
        settings: AlerterSettings,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        redis: Redis,
        channels: dict[str, Channel],
        counters: Counters | None = None,
    ) -> None:
        prefix = settings.redis_prefix
        self._settings = settings
        self._consumer = consumer
        self._producer = producer
        self._redis = redis
        self.counters = counters or Counters()
        self.store = SubscriptionStore(redis, prefix)
        self.ledger = DeliveryLedger(redis, prefix)
        self.queue = RetryQueue(redis, prefix, settings.retry_lease_seconds)
        self.pending = PendingDigests(redis, prefix, self.queue)
        self.stories = StoryStore(redis, prefix)
        self.book = StoryBook(window=timedelta(minutes=settings.story_window_minutes))
        self.router = Router(settings, redis, self.queue, self.pending, self.counters)
        self.dispatcher = Dispatcher(
            settings, redis, producer, channels, self.ledger, self.queue, self.counters
        )
        self._index = SubscriptionIndex()
        self._subs: dict[str, Subscription] = {}
        self._index_version = -1
        self._attempting: set[asyncio.Task[None]] = set()
        self._checked_at = 0.0

    @property
    def subscription_count(self) -> int:
        return self._index.size

    async def refresh_subscriptions(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < self._settings.subscription_refresh_seconds:
            return
        self._checked_at = now
        version = await self.store.version()
        if version != self._index_version:
            subs = await self.store.all()
            self._index = SubscriptionIndex(subs)
            self._subs = {s.key: s for s in subs}
            self._index_version = version
            # Tens of thousands of long-lived objects: keep the cyclic GC from walking them
            # on every full collection (pauses of tens of ms, straight into alert latency).
            gc.collect()
            gc.freeze()
            log.info("alerter: %d active subscription(s) loaded", self._index.size)

    async def load_stories(self) -> None:
        await self.stories.mark_changes_seen()
        for story, signature in await self.stories.recent(2 * self.book.window.total_seconds()):
            self.book.remember(story, signature)
        log.info("alerter: %d recent stories reloaded", len(self.book))

    async def run(self) -> None:
        await self.refresh_subscriptions(force=True)
        await self.load_stories()
        try:
            await asyncio.gather(
                self._consume(),
                self._every(0.5, self.retry_due),
                self._every(1.0, self.flush_digests),
            )
        finally:
            # Attempts cut short stay in the retry queue: the next alerter makes them.
            for task in self._attempting:
                task.cancel()
            await asyncio.gather(*self._attempting, return_exceptions=True)

    async def _every(self, seconds: float, step: Callable[[], Awaitable[int]]) -> None:
        while True:
            try:
                await self.refresh_subscriptions()
                while await step():
                    pass  # more was due: keep going before sleeping
            except asyncio.CancelledError:
                raise
            except Exception:
                self.counters.inc("loop_errors")
                log.exception("alerter: %s failed; trying again", getattr(step, "__name__", step))
            await asyncio.sleep(seconds)

    async def _consume(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=500, max_records=500)
            try:
                await self.refresh_subscriptions()
                if batch:
                    await self.process(batch)
                    await self._consumer.commit(
                        {tp: records[-1].offset + 1 for tp, records in batch.items()}
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis or Kafka trouble mid-batch: rewind to the last commit and try again.
                self.counters.inc("batch_retried")
                log.exception("alerter: batch failed; replaying from the last committed offsets")
                await asyncio.sleep(2.0)
                for tp in batch:
                    await self._consumer.seek_to_committed(tp)

    async def process(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        items = [
            item
            for records in batch.values()
            for record in records
            if (item := await self._read(record))
        ]
        told: list[Told] = []
        stories_out = []
        async with self.stories.assignment_lock():
            for story, signature in await self.stories.changed_elsewhere():
                self.book.remember(story, signature)
            story_pipe = self._redis.pipeline(transaction=False)
            for item in items:
                if not item.tags:
                    continue
                assignment = self.book.assign(item)
                if assignment.is_new_report:
                    story = assignment.story
                    self.stories.save(story_pipe, story, self.book.signature(story.id))
                    stories_out.append(story.model_copy(deep=True))
                    self.counters.inc(
                        "stories_new" if assignment.is_new_story else "reports_folded"
                    )
                told += [(sub, item, hits, assignment) for sub, hits in self._index.match(item)]
            await story_pipe.execute()
        for story in stories_out:
            await self._producer.send(
                self._settings.topics.stories, story.to_json_bytes(), key=story.id.encode()
            )
        jobs = await self.router.route(told)
        # The jobs are safe in the retry queue now, so the offsets may be committed while
        # they are attempted: a receiver that hangs until its timeout holds up no one else.
        if jobs:
            task = asyncio.create_task(self.dispatcher.execute(jobs))
            self._attempting.add(task)
            task.add_done_callback(self._attempted)
        while len(self._attempting) > MAX_BATCHES_ATTEMPTING:
            await asyncio.wait(self._attempting, return_when=asyncio.FIRST_COMPLETED)

    def _attempted(self, task: asyncio.Task[None]) -> None:
        self._attempting.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Outcomes not yet written leave their jobs queued: retried when the lease ends.
            self.counters.inc("attempt_batches_failed")
            log.error("alerter: recording delivery outcomes failed", exc_info=task.exception())

    async def retry_due(self) -> int:
        return await self.dispatcher.retry_due(
            wanted=lambda job: job.subscription_key in self._subs
        )

    async def flush_digests(self) -> int:
        """Send the digests and follow-ups that are due; returns how many subscriptions flushed."""
        due = await self.pending.claim_due(lease=self._settings.retry_lease_seconds)
        for sub_key in due:
            sub = self._subs.get(sub_key)
            if sub is None:
                await self.pending.drop(sub_key)
                continue
            entries = await self.pending.entries(sub_key)
            stories = await self.stories.get_many([e.story_id for e in entries])
            jobs = digest_jobs(sub, entries, stories) if entries else []
            await self.pending.flush(sub_key, entries, jobs, self.router.pending_delay(sub))
            await self.dispatcher.execute(jobs)
            self.counters.inc("digests_sent", len(jobs))
        return len(due)

    async def _read(self, record: ConsumerRecord) -> ClassifiedItem | None:
        try:
            return ClassifiedItem.model_validate_json(record.value or b"")
        except ValidationError as exc:
            await self._dead_letter_message(record, exc)
            return None

    async def _dead_letter_message(self, record: ConsumerRecord, exc: ValidationError) -> None:
        self.counters.inc("dead_lettered.invalid_classified_item")
        first = exc.errors()[0]
        letter = DeadLetter(
            service="alerter",
            source_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode("utf-8", "replace") if record.key else None,
            error_kind="invalid_classified_item",
            error=f"{'.'.join(map(str, first['loc'])) or 'message'}: {first['msg']}",
            payload=(record.value or b"").decode("utf-8", "replace"),
        )
        log.warning(
            "dead-lettering %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            letter.error,
        )
        await self._producer.send_and_wait(
            self._settings.topics.dead_letter("classified"), letter.to_json_bytes(), key=record.key
        )
