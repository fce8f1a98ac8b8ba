"""Carrying out the delivery plan in Redis: the router reads what the plan needs, asks
:func:`plan_deliveries` what to do, and does it.

Reads: the markers of the subjects the matches touch, and the alert counts of the
rate-limited subscriptions' current windows. Writes, in one pipeline: each first
telling is claimed by a Redis script that marks the (subscription, subject) pair and
queues its delivery jobs (or its digest entry) only if the pair was unmarked, so a
replayed batch, another instance or a duplicate upstream tells no one twice; follow-up
entries; and the rate windows' counts. Two instances racing may each send one alert
over a rate limit: the count is read, then added to, not incremented per alert.
"""

import time

from redis.asyncio import Redis

from newswatch.alerter.pending import PendingDigests
from newswatch.alerter.plan import DeliveryPlan, Match, PlanSettings, plan_deliveries, subjects
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import DeliveryMode, Subscription
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.observability import Counters


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
        self.plan_settings = PlanSettings(settings.followup_seconds, settings.retry_for_hours)

    async def route(self, matches: list[Match]) -> int:
        """Plan and carry out what the matches become; returns how many jobs were queued."""
        if not matches:
            return 0
        pairs = subjects(matches)
        async with self._redis.pipeline(transaction=False) as pipe:
            for sub_key, subject in pairs:
                pipe.exists(self._queue.marker(sub_key, subject))
            known = await pipe.execute()
        told = {pair for pair, seen in zip(pairs, known, strict=True) if seen}
        plan = plan_deliveries(
            matches,
            told=told,
            sent_in_window=await self._sent_in_window([m.subscription for m in matches]),
            settings=self.plan_settings,
            now=utc_now(),
        )
        return await self._execute(plan, {m.subscription.key: m.subscription for m in matches})

    async def _execute(self, plan: DeliveryPlan, subs: dict[str, Subscription]) -> int:
        async with self._redis.pipeline(transaction=False) as pipe:
            for alert in plan.alerts:
                await self._queue.claim_story(
                    pipe, alert.subscription_key, alert.subject, alert.jobs
                )
            for told in plan.digest_entries:
                await self._pending.claim_story(
                    pipe, told.subscription_key, told.entry, told.due_in
                )
            for follow in plan.followups:
                self._pending.add_update(pipe, follow.subscription_key, follow.entry, follow.due_in)
            for sub_key, count in plan.alerts_counted.items():
                key, window = self._rate_key(subs[sub_key])
                pipe.incrby(key, count)
                pipe.expire(key, window)
            results = await pipe.execute()
        claims = results[: len(plan.alerts)]
        queued = sum(len(a.jobs) for won, a in zip(claims, plan.alerts, strict=True) if won)
        self.counters.inc("deliveries_queued", queued)
        self.counters.inc("followups_queued", len(plan.followups))
        self.counters.inc("rate_limited", sum(1 for d in plan.digest_entries if d.rate_limited))
        return queued

    def _rate_key(self, sub: Subscription) -> tuple[str, int]:
        assert sub.rate_limit
        window = sub.rate_limit.per_minutes * 60
        prefix = self._settings.redis_prefix
        return f"{prefix}:alerter:rate:{sub.key}:{int(time.time() // window)}", window

    async def _sent_in_window(self, subs: list[Subscription]) -> dict[str, int]:
        limited = {
            s.key: s for s in subs if s.rate_limit and s.mode is DeliveryMode.IMMEDIATE
        }.values()
        if not limited:
            return {}
        keys = [s.key for s in limited]
        counts = await self._redis.mget([self._rate_key(s)[0] for s in limited])
        return {k: int(c or 0) for k, c in zip(keys, counts, strict=True)}
