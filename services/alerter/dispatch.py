"""Attempting delivery jobs and recording what came of each, as it comes.

Every attempt starts by claiming its job from the retry queue (first attempts
too: the router queues jobs due at once and wakes the dispatcher), at most
``concurrency`` at a time. Each outcome is written the moment its attempt ends,
in one atomic Redis script of its own (``outcomes.py``): the record, and the job
leaving the queue (delivered, failed) or rescheduled with backoff. So an alerter killed mid-way
repeats at most the attempts it had in flight. Jobs held back by their lane (an
earlier alert to the same destination is retrying) are not claimed (``queue.py``).
Finished records go to the deliveries topic; failures are kept for replay and,
if the operator wants, dead-lettered too.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from newswatch.alerter.channels import Channel, DeliveryError
from newswatch.alerter.feedback.links import FeedbackNotices
from newswatch.alerter.jobs import DeliveryJob, Outcome, after_attempt, give_up_default
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.metrics import delivered
from newswatch.alerter.outcomes import OutcomeWriter
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import Delivery, DeliveryAttempt, DeliveryStatus
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.dead_letters import build_dead_letter
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.alerter")

IDLE_SECONDS = 0.5  # how often the queue is looked at when nothing wakes the dispatcher


class Dispatcher:
    def __init__(
        self,
        settings: AlerterSettings,
        redis: Redis,
        producer: AIOKafkaProducer,
        channels: dict[str, Channel],
        ledger: DeliveryLedger,
        queue: RetryQueue,
        outcomes: OutcomeWriter,
        counters: Counters,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._producer = producer
        self._channels = channels
        self._ledger = ledger
        self._queue = queue
        self._outcomes = outcomes
        self._feedback = FeedbackNotices.from_settings(settings, redis)
        self.counters = counters
        # A job whose subscription was deleted meanwhile is failed, not attempted.
        self.wanted: Callable[[DeliveryJob], Awaitable[bool]] = _always
        self._in_flight: set[asyncio.Task[None]] = set()
        self._publishing: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._claim_batch = max(1, settings.concurrency // 10)

    def wake(self) -> None:
        """Jobs were queued due now: claim them without waiting for the next look."""
        self._wake.set()

    async def run(self) -> None:
        try:
            while True:
                self._wake.clear()
                try:
                    await self.pump()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    self.counters.inc("loop_errors")
                    log.exception("alerter: claiming deliveries failed; trying again")
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(IDLE_SECONDS):
                        await self._wake.wait()
        finally:
            # Attempts cut short stay leased in the retry queue: the next alerter makes them.
            for task in self._in_flight:
                task.cancel()
            await asyncio.gather(*self._in_flight, return_exceptions=True)
            if self._publishing:  # records already written to Redis: let Kafka have them
                await asyncio.wait(self._publishing, timeout=5.0)

    async def pump(self) -> int:
        """Claim due jobs while there is room and start attempting them; returns how many."""
        claimed = 0
        while (room := self._settings.concurrency - len(self._in_flight)) > 0:
            jobs = await self._queue.claim_due(limit=min(room, 200))
            if not jobs:
                break
            claimed += len(jobs)
            for job in await self._unfinished(jobs):
                task = asyncio.create_task(self._deliver(job))
                self._in_flight.add(task)
                task.add_done_callback(self._delivered)
        return claimed

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def _delivered(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        # Room for more (and the job's lane may have let others go): claim in batches of a
        # tenth of the slots, not one claim per finished job; the idle look takes the rest.
        if self._settings.concurrency - len(self._in_flight) >= self._claim_batch:
            self._wake.set()
        if not task.cancelled() and task.exception() is not None:
            # The outcome was not written: the job stays leased and is retried after the lease.
            self.counters.inc("outcomes_unrecorded")
            log.error("alerter: recording a delivery outcome failed", exc_info=task.exception())

    async def _unfinished(self, jobs: list[DeliveryJob]) -> list[DeliveryJob]:
        finished = await self._ledger.finished([j.id for j in jobs])
        if finished:
            # Finished but still queued (written by an older alerter): clear, never resend.
            async with self._redis.pipeline(transaction=True) as pipe:
                for job_id in finished:
                    await self._queue.remove(pipe, job_id)
                await pipe.execute()
        return [j for j in jobs if j.id not in finished]

    async def _deliver(self, job: DeliveryJob) -> None:
        if await self.wanted(job):
            outcome = await self._attempt(job)
        else:
            job.attempts.append(
                DeliveryAttempt(ok=False, error="subscription deleted before delivery")
            )
            self.counters.inc("dropped_subscription_deleted")
            outcome = Outcome(DeliveryStatus.FAILED)
        await self._finish(job, outcome)

    async def _attempt(self, job: DeliveryJob) -> Outcome:
        channel = self._channels.get(job.target.kind)
        started = time.perf_counter()
        error: DeliveryError | None = None
        if channel is None:
            error = DeliveryError(f"no channel plugin named {job.target.kind!r}", retryable=False)
        else:
            try:
                await channel.send(await self._feedback.notice(job), job.target)
            except DeliveryError as exc:
                error = exc
            except Exception as exc:  # a channel bug must not lose the job
                log.exception("channel %s raised", job.target.kind)
                error = DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True)
        duration = round((time.perf_counter() - started) * 1000, 2)
        job.attempts.append(
            DeliveryAttempt(
                ok=error is None,
                error=str(error) if error else None,
                status_code=error.status_code if error else None,
                duration_ms=duration,
            )
        )
        s = self._settings
        outcome = after_attempt(
            len(job.attempts),
            error is None,
            error.retryable if error else False,
            error.retry_after if error else None,
            base=s.backoff_base_seconds,
            cap=s.backoff_max_seconds,
            now=utc_now(),
            give_up_at=job.give_up_at or give_up_default(job, s.retry_for_hours),
            max_attempts=s.max_attempts,
        )
        if error is not None:
            log.warning(
                "delivery %s to %s attempt %d failed: %s%s",
                job.id,
                self.mask(job),
                len(job.attempts),
                error,
                f"; retry at {outcome.retry_at:%H:%M:%S}" if outcome.retry_at else "; giving up",
                extra={
                    "item_id": job.item and job.item.item.id,
                    "story_id": job.story and job.story.id,
                },
            )
        return outcome

    def mask(self, job: DeliveryJob) -> str:
        channel = self._channels.get(job.target.kind)
        return channel.mask(job.target) if channel else "…"

    async def _finish(self, job: DeliveryJob, outcome: Outcome) -> None:
        """Write one outcome (one atomic script); publish it, when final, in the background."""
        record = job.record(outcome.status, self.mask(job))
        retry_at = outcome.retry_at.timestamp() if outcome.retry_at else None
        await self._outcomes.write(job, record, time.time(), retry_at)
        self.counters.inc(f"delivery_{outcome.status.value}.{job.target.kind}")
        delivered(record)  # the Kafka-to-delivery latency histogram
        if outcome.status is not DeliveryStatus.RETRYING:
            task = asyncio.create_task(self._publish(job, record, outcome.status))
            self._publishing.add(task)
            task.add_done_callback(self._published)

    async def _publish(self, job: DeliveryJob, record: Delivery, status: DeliveryStatus) -> None:
        """The final record on the deliveries topic (and a failure's dead letter): in the
        background, so an attempt's slot waits for Redis only, not for Kafka."""
        topics = self._settings.topics
        payload = record.to_json_bytes()
        key = job.id.encode()
        sends = [await self._producer.send(topics.deliveries, payload, key=key)]
        if status is DeliveryStatus.FAILED and self._settings.dead_letter_deliveries:
            letter = build_dead_letter(
                service="alerter",
                error_kind="delivery_failed",
                error=f"{len(job.attempts)} attempt(s): {job.attempts[-1].error or 'unknown'}",
                payload=payload,
                source_topic=topics.classified,
                key=job.id,
            )
            sends.append(
                await self._producer.send(
                    topics.dead_letter("deliveries"), letter.to_json_bytes(), key=key
                )
            )
        await asyncio.gather(*sends)

    def _published(self, task: asyncio.Task[None]) -> None:
        self._publishing.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.counters.inc("records_unpublished")
            log.error("alerter: publishing a delivery record failed", exc_info=task.exception())


async def _always(_job: DeliveryJob) -> bool:
    return True
