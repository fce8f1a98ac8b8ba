"""Attempting delivery jobs and recording what came of them.

A batch of jobs is attempted concurrently (bounded), then every outcome is
written in one Redis transaction: delivered and failed jobs leave the retry
queue with their record, the others are rescheduled with backoff. Finished
records go to the deliveries topic; failures also to the dead-letter topic.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime

from aiokafka import AIOKafkaProducer
from redis.asyncio import Redis

from newswatch.alerter.channels import Channel, DeliveryError
from newswatch.alerter.jobs import DeliveryJob, Outcome, after_attempt
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import DeadLetter, DeliveryAttempt, DeliveryStatus
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.alerter")


class Dispatcher:
    def __init__(
        self,
        settings: AlerterSettings,
        redis: Redis,
        producer: AIOKafkaProducer,
        channels: dict[str, Channel],
        ledger: DeliveryLedger,
        queue: RetryQueue,
        counters: Counters,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._producer = producer
        self._channels = channels
        self._ledger = ledger
        self._queue = queue
        self._slots = asyncio.Semaphore(settings.concurrency)
        self.counters = counters

    async def execute(self, jobs: list[DeliveryJob]) -> None:
        if not jobs:
            return
        outcomes = await asyncio.gather(*(self._attempt(job) for job in jobs))
        await self._finish(list(zip(jobs, outcomes, strict=True)))

    async def _attempt(self, job: DeliveryJob) -> Outcome:
        channel = self._channels.get(job.target.kind)
        started = time.perf_counter()
        error: DeliveryError | None = None
        if channel is None:
            error = DeliveryError(f"no channel plugin named {job.target.kind!r}", retryable=False)
        else:
            async with self._slots:
                try:
                    await channel.send(job.notice(), job.target)
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
        outcome = after_attempt(
            len(job.attempts),
            error is None,
            error.retryable if error else False,
            error.retry_after if error else None,
            max_attempts=self._settings.max_attempts,
            base=self._settings.backoff_base_seconds,
            cap=self._settings.backoff_max_seconds,
            now=utc_now(),
        )
        if error is not None:
            log.warning(
                "delivery %s to %s attempt %d/%d failed: %s%s",
                job.id,
                self.mask(job),
                len(job.attempts),
                self._settings.max_attempts,
                error,
                f"; retry at {outcome.retry_at:%H:%M:%S}" if outcome.retry_at else "",
            )
        return outcome

    def mask(self, job: DeliveryJob) -> str:
        channel = self._channels.get(job.target.kind)
        return channel.mask(job.target) if channel else "…"

    async def _finish(self, done: list[tuple[DeliveryJob, Outcome]]) -> None:
        topics = self._settings.topics
        sends = []
        async with self._redis.pipeline(transaction=True) as pipe:
            for job, outcome in done:
                record = job.record(outcome.status, self.mask(job))
                self._ledger.record(pipe, record, first=len(job.attempts) == 1)
                if outcome.status is DeliveryStatus.RETRYING:
                    assert isinstance(outcome.retry_at, datetime)
                    self._queue.put(pipe, job, outcome.retry_at.timestamp())
                    self.counters.inc(f"delivery_retrying.{job.target.kind}")
                    continue
                self._queue.remove(pipe, job.id)
                self.counters.inc(f"delivery_{outcome.status.value}.{job.target.kind}")
                payload = record.to_json_bytes()
                sends.append((topics.deliveries, payload, job.id))
                if outcome.status is DeliveryStatus.FAILED:
                    reason = job.attempts[-1].error or "unknown"
                    letter = DeadLetter(
                        service="alerter",
                        source_topic=topics.classified,
                        key=job.id,
                        error_kind="delivery_failed",
                        error=f"{len(job.attempts)} attempt(s): {reason}",
                        payload=payload.decode(),
                    )
                    sends.append((topics.dead_letter("deliveries"), letter.to_json_bytes(), job.id))
            await pipe.execute()
        futures = [
            await self._producer.send(topic, value, key=key.encode()) for topic, value, key in sends
        ]
        await asyncio.gather(*futures)

    async def retry_due(self, wanted: Callable[[DeliveryJob], bool] = lambda _: True) -> int:
        """Attempt the queued jobs that are due; returns how many were claimed.

        A job whose subscription was deleted meanwhile (``wanted`` says no) is not attempted:
        it fails with that reason, like any delivery that cannot be made.
        """
        jobs = await self._queue.claim_due()
        if not jobs:
            return 0
        finished = await self._ledger.finished([j.id for j in jobs])
        if finished:
            # Delivered but not dequeued (a crash between the two): clear, never resend.
            async with self._redis.pipeline(transaction=True) as pipe:
                for job_id in finished:
                    self._queue.remove(pipe, job_id)
                await pipe.execute()
        todo = [j for j in jobs if j.id not in finished]
        unwanted = [j for j in todo if not wanted(j)]
        for job in unwanted:
            job.attempts.append(
                DeliveryAttempt(ok=False, error="subscription deleted before delivery")
            )
            self.counters.inc("dropped_subscription_deleted")
        if unwanted:
            await self._finish([(job, Outcome(DeliveryStatus.FAILED)) for job in unwanted])
        skipped = {j.id for j in unwanted}
        await self.execute([j for j in todo if j.id not in skipped])
        return len(jobs)
