"""Deciding what a match becomes: an alert, a digest entry, a follow-up, or nothing.

Per (subscription, story) the first time decides: an immediate subscription under
its rate limit gets delivery jobs, queued durably in the same Redis script that
marks the pair as told; a digest subscription, or one over its rate limit, gets a
pending digest entry. A later report of a story already told becomes one
follow-up entry, when the subscription wants follow-ups.
"""

import time

from redis.asyncio import Redis

from newswatch.alerter.jobs import DeliveryJob, PendingEntry, alert_jobs
from newswatch.alerter.pending import PendingDigests
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.stories import Assignment
from newswatch.shared.contracts import ClassifiedItem, DeliveryMode, Subscription, TagHit
from newswatch.shared.observability import Counters

Told = tuple[Subscription, ClassifiedItem, list[TagHit], Assignment]


class Router:
    def __init__(
        self,
        settings: AlerterSettings,
        redis: Redis,
        queue: RetryQueue,
        pending: PendingDigests,
        counters: Counters,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._queue = queue
        self._pending = pending
        self.counters = counters

    async def route(self, told: list[Told]) -> list[DeliveryJob]:
        """Decide, per (subscription, story), between alert, digest entry, follow-up or nothing."""
        if not told:
            return []
        first_of_pair: dict[tuple[str, str], Told] = {}
        repeats: list[Told] = []
        for entry in told:
            pair = (entry[0].key, entry[3].story.id)
            if pair in first_of_pair:
                repeats.append(entry)  # a second report of the story in this very batch
            else:
                first_of_pair[pair] = entry
        async with self._redis.pipeline(transaction=False) as pipe:
            for sub_key, story_id in first_of_pair:
                pipe.exists(self._queue.marker(sub_key, story_id))
            known = await pipe.execute()
        fresh = [t for t, seen in zip(first_of_pair.values(), known, strict=True) if not seen]
        repeats += [t for t, seen in zip(first_of_pair.values(), known, strict=True) if seen]
        over_limit = await self._over_rate_limit([t[0] for t in fresh])
        claimed_jobs: list[list[DeliveryJob]] = []
        async with self._redis.pipeline(transaction=False) as pipe:
            for (sub, item, hits, assignment), limited in zip(fresh, over_limit, strict=True):
                entry = PendingEntry(
                    story_id=assignment.story.id, update=False, item=item, hits=hits
                )
                if sub.mode is DeliveryMode.DIGEST or limited:
                    await self._pending.claim_story(pipe, sub.key, entry, self.pending_delay(sub))
                    claimed_jobs.append([])
                else:
                    jobs = alert_jobs(sub, item, hits, assignment.story.model_copy(deep=True))
                    await self._queue.claim_story(pipe, sub.key, assignment.story.id, jobs)
                    claimed_jobs.append(jobs)
            for sub, item, hits, assignment in repeats:
                if assignment.is_new_report and sub.followups:
                    entry = PendingEntry(
                        story_id=assignment.story.id, update=True, item=item, hits=hits
                    )
                    self._pending.add_update(pipe, sub.key, entry, self.pending_delay(sub))
                    self.counters.inc("followups_queued")
            results = await pipe.execute()
        claims = results[: len(fresh)]  # then come the follow-ups' replies
        jobs = [j for won, js in zip(claims, claimed_jobs, strict=True) if won for j in js]
        self.counters.inc("deliveries_queued", len(jobs))
        return jobs

    def pending_delay(self, sub: Subscription) -> float:
        if sub.mode is DeliveryMode.DIGEST:
            return sub.digest_minutes * 60.0
        return self._settings.followup_seconds

    async def _over_rate_limit(self, subs: list[Subscription]) -> list[bool]:
        """For each new (subscription, story) in order: is it one alert too many?"""
        over = [False] * len(subs)
        limited = [
            (n, s) for n, s in enumerate(subs) if s.rate_limit and s.mode is DeliveryMode.IMMEDIATE
        ]
        if not limited:
            return over
        now = time.time()
        async with self._redis.pipeline(transaction=False) as pipe:
            for _, sub in limited:
                assert sub.rate_limit
                window = sub.rate_limit.per_minutes * 60
                key = f"{self._settings.redis_prefix}:alerter:rate:{sub.key}:{int(now // window)}"
                pipe.incr(key)
                pipe.expire(key, window)
            counts = (await pipe.execute())[::2]
        for (n, sub), count in zip(limited, counts, strict=True):
            assert sub.rate_limit
            if count > sub.rate_limit.max_alerts:
                over[n] = True
                self.counters.inc("rate_limited")
        return over
