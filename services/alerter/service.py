"""The alerter: classified items in, one alert per story (and per tag new to it) out.

Four loops share one process. The consumer groups each tagged item into a
story, matches it against the subscriptions and has the router carry out the
delivery plan: delivery jobs (or digest entries) queued in Redis under per-subject
markers; then it commits the offsets. A crash before the commit replays the batch
and the markers keep it from telling anyone twice. The dispatcher claims queued
jobs (first attempts and retries alike) and records each outcome as it comes; the
digest loop sends digests and follow-ups when they fall due; the last, hourly, prunes
failed deliveries kept past ``failed_retention``.

A record the alerter cannot read is dead-lettered at once; a batch that keeps
failing for any other reason than Redis or Kafka being unreachable is retried
record by record after ``record_max_tries`` tries, and a record that still fails
is dead-lettered and skipped, so no record can hold up its partition.
"""

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from newswatch.alerter.dispatch import Dispatcher
from newswatch.alerter.jobs import DeliveryJob, digest_jobs, give_up_at
from newswatch.alerter.matching import SubscriptionIndex
from newswatch.alerter.plan import Match, pending_delay
from newswatch.alerter.routing import Router
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.stores import AlerterStores
from newswatch.alerter.stories import StoryBook
from newswatch.alerter.transient import is_transient
from newswatch.shared.contracts import ClassifiedItem, Story, Subscription
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.dead_letters import build_dead_letter
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.alerter")

Batch = dict[TopicPartition, list[ConsumerRecord]]
# Failed deliveries are kept for days: pruning them hourly holds Redis near the retention.
PRUNE_EVERY_SECONDS = 3600.0


class Alerter:
    def __init__(
        self,
        settings: AlerterSettings,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        stores: AlerterStores,
        router: Router,
        dispatcher: Dispatcher,
        counters: Counters,
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self.consumer = consumer  # the health probe reads its assignment and lag
        self._producer = producer
        self.counters = counters
        self.stores = stores
        self.store = stores.subscriptions
        self.ledger = stores.ledger
        self.queue = stores.queue
        self.pending = stores.pending
        self.stories = stores.stories
        self.failed = stores.failed
        self.book = StoryBook(window=timedelta(minutes=settings.story_window_minutes))
        self.router = router
        self.dispatcher = dispatcher
        dispatcher.wanted = self._wanted
        self._index = SubscriptionIndex()
        self._subs: dict[str, Subscription] = {}
        self._index_version = -1
        self._checked_at = 0.0
        self._failures = 0  # consecutive failed tries of the batch at the committed offsets

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

    async def _wanted(self, job: DeliveryJob) -> bool:
        if job.subscription_key not in self._subs:
            # Perhaps made by another instance for a subscription this one has not seen yet.
            await self.refresh_subscriptions(force=True)
        return job.subscription_key in self._subs

    async def load_stories(self) -> None:
        await self.stories.mark_changes_seen()
        for story, signature in await self.stories.recent(2 * self.book.window.total_seconds()):
            self.book.remember(story, signature)
        log.info("alerter: %d recent stories reloaded", len(self.book))

    async def run(self) -> None:
        await self.refresh_subscriptions(force=True)
        await self.load_stories()
        await asyncio.gather(
            self._consume(),
            self.dispatcher.run(),
            self._every(1.0, self.flush_digests),
            self._every(PRUNE_EVERY_SECONDS, self.prune_failed),
        )

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
                if not batch:
                    # An empty poll says nothing of the failing batch: after a seek back the
                    # fetch can take longer than the poll, and counting that as a success
                    # let a poison record be retried as a batch again and again.
                    continue
                if self._failures >= self._settings.record_max_tries:
                    await self._one_by_one(batch)
                else:
                    await self.process(batch)
                    await self._consumer.commit(
                        {tp: records[-1].offset + 1 for tp, records in batch.items()}
                    )
                self._failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Redis or Kafka unreachable is no record's fault: retry as long as it takes.
                if not is_transient(exc):
                    self._failures += 1
                self.counters.inc("batch_retried")
                log.exception("alerter: batch failed; replaying from the last committed offsets")
                await asyncio.sleep(2.0)
                # Back to the batch's start (where the last commit left off): seeking to "the
                # committed offset" would skip the batch when nothing was committed yet.
                for tp, records in batch.items():
                    self._consumer.seek(tp, records[0].offset)

    async def _one_by_one(self, batch: Batch) -> None:
        """Find the records at fault: each gets ``record_max_tries`` tries on its own, then is
        dead-lettered and skipped. Redis or Kafka unreachable ends the round (raised)."""
        tries = self._settings.record_max_tries
        for tp, records in batch.items():
            for record in records:
                for attempt in range(1, tries + 1):
                    try:
                        await self.process({tp: [record]})
                        break
                    except Exception as exc:
                        if is_transient(exc):
                            raise
                        if attempt == tries:
                            log.exception("alerter: skipping %s[%d]@%d", *_where(record))
                            await self._skip(record, exc)
                await self._consumer.commit({tp: record.offset + 1})

    async def _skip(self, record: ConsumerRecord, exc: Exception) -> None:
        try:
            await self._dead_letter(
                record, "unprocessable_record", f"{type(exc).__name__}: {exc}"[:2000]
            )
        except Exception as failed:
            if is_transient(failed):
                raise
            # Even the dead letter cannot be sent: skip the record all the same, loudly.
            self.counters.inc("dead_letter_failed")
            log.critical("alerter: %s[%d]@%d skipped without a dead letter", *_where(record))

    async def process(self, batch: Batch) -> None:
        items = [
            item
            for records in batch.values()
            for record in records
            if (item := await self._read(record))
        ]
        matches, stories_out = await self._assign(items)
        for story in stories_out:
            await self._producer.send(
                self._settings.topics.stories, story.to_json_bytes(), key=story.id.encode()
            )
        if await self.router.route(matches):
            self.dispatcher.wake()

    async def _assign(self, items: list[ClassifiedItem]) -> tuple[list[Match], list[Story]]:
        """Each tagged item to its story (under the shared lock), and who wants it."""
        matches: list[Match] = []
        stories_out = []
        async with self.stories.assignment_lock():
            for story, signature in await self.stories.changed_elsewhere():
                self.book.remember(story, signature)
            story_pipe = self.stories.pipeline()
            for item in items:
                if not item.tags:
                    continue
                assignment = self.book.assign(item)
                if assignment.is_new_report:
                    story = assignment.story
                    self.stories.save(story_pipe, story, self.book.signature(story.id), item)
                    stories_out.append(story.model_copy(deep=True))
                    self.counters.inc(
                        "stories_new" if assignment.is_new_story else "reports_folded"
                    )
                matches += [
                    Match(sub, item, hits, assignment) for sub, hits in self._index.match(item)
                ]
            await story_pipe.execute()
        return matches, stories_out

    async def flush_digests(self) -> int:
        """Queue the digests and follow-ups that are due; returns how many subscriptions flushed."""
        due = await self.pending.claim_due(lease=self._settings.retry_lease_seconds)
        for sub_key in due:
            sub = self._subs.get(sub_key)
            if sub is None:
                await self.pending.drop(sub_key)
                continue
            entries = await self.pending.entries(sub_key)
            stories = await self.stories.get_many([e.story_id for e in entries])
            deadline = give_up_at(sub, self._settings.retry_for_hours, utc_now())
            jobs = digest_jobs(sub, entries, stories, deadline) if entries else []
            delay = pending_delay(sub, self._settings.followup_seconds)
            await self.pending.flush(sub_key, entries, jobs, delay)
            self.dispatcher.wake()
            self.counters.inc("digests_sent", len(jobs))
        return len(due)

    async def prune_failed(self) -> int:
        """Drop failed deliveries kept longer than ``failed_retention``; 0: one pass is enough."""
        retention = self._settings.failed_retention
        pruned = await self.failed.prune(time.time() - retention.total_seconds())
        if pruned.total:
            self.counters.inc("failed_pruned", pruned.total)
            stray = f" and {pruned.unindexed} without an index entry" if pruned.unindexed else ""
            log.info(
                "alerter: pruned %d failed delivery(ies) older than %g days%s",
                pruned.expired,
                retention.total_seconds() / 86400,
                stray,
            )
        return 0

    async def _read(self, record: ConsumerRecord) -> ClassifiedItem | None:
        try:
            return ClassifiedItem.model_validate_json(record.value or b"")
        except ValidationError as exc:
            first = exc.errors()[0]
            reason = f"{'.'.join(map(str, first['loc'])) or 'message'}: {first['msg']}"
            await self._dead_letter(record, "invalid_classified_item", reason)
            return None

    async def _dead_letter(self, record: ConsumerRecord, kind: str, reason: str) -> None:
        """Size-safe: a 900 KB record makes a dead letter of a few dozen KB, never too big."""
        self.counters.inc(f"dead_lettered.{kind}")
        letter = build_dead_letter(
            service="alerter",
            error_kind=kind,
            error=reason,
            payload=record.value,
            source_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
        )
        log.warning("dead-lettering %s[%d]@%d: %s", *_where(record), letter.error)
        await self._producer.send_and_wait(
            self._settings.topics.dead_letter("classified"), letter.to_json_bytes(), key=record.key
        )


def _where(record: ConsumerRecord) -> tuple[str, int, int]:
    return record.topic, record.partition, record.offset
