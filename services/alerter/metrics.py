"""The alerter's Prometheus metrics and readiness (docs/operations/monitoring.md lists them)."""

import time
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer
from prometheus_client import Counter, Gauge, Histogram

from newswatch.shared.contracts import Delivery
from newswatch.shared.health import Health
from newswatch.shared.metrics import (
    STALL_SECONDS,
    CounterRoutes,
    Progress,
    lag,
    lag_gauge,
    show_lag,
)

if TYPE_CHECKING:  # dispatch.py imports this module for delivered()
    from newswatch.alerter.stores import AlerterStores

DELIVERIES = Counter(
    "newswatch_alerter_deliveries_total",
    "Delivery attempts by channel and outcome (delivered, retrying, failed: given up).",
    ["channel", "outcome"],
)
QUEUED = Counter("newswatch_alerter_deliveries_queued_total", "Deliveries queued (alerts).")
DIGESTS = Counter("newswatch_alerter_digests_sent_total", "Digests queued for delivery.")
STORIES = Counter(
    "newswatch_alerter_stories_total",
    "Tagged reports by what they did to stories: new (a new story) or folded (joined one).",
    ["kind"],
)
DEAD_LETTERED = Counter(
    "newswatch_alerter_dead_lettered_total",
    "Classified records dead-lettered by the alerter, by kind.",
    ["kind"],
)
ERRORS = Counter(
    "newswatch_alerter_errors_total",
    "Loop errors and batches replayed (loop_errors, batch_retried, outcomes_unrecorded, ...).",
    ["kind"],
)
FAILED_PRUNED = Counter(
    "newswatch_alerter_failed_deliveries_pruned_total",
    "Finally failed deliveries removed from Redis unreplayed, past failed_retention.",
)
LATENCY = Histogram(
    "newswatch_alerter_delivery_latency_seconds",
    "From the item's classification (its record on Kafka) to its alert delivered.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
RETRY_QUEUE = Gauge(
    "newswatch_alerter_retry_queue_depth", "Deliveries queued in Redis (due now or retrying)."
)
DIGESTS_PENDING = Gauge(
    "newswatch_alerter_digests_pending", "Subscriptions with a digest or follow-up pending."
)
LAG = lag_gauge("alerter", "Classified records")

ROUTES = CounterRoutes(
    {
        "delivery_delivered.": [(DELIVERIES, {"outcome": "delivered"}, "channel")],
        "delivery_retrying.": [(DELIVERIES, {"outcome": "retrying"}, "channel")],
        "delivery_failed.": [(DELIVERIES, {"outcome": "failed"}, "channel")],
        "deliveries_queued": [(QUEUED, {}, None)],
        "digests_sent": [(DIGESTS, {}, None)],
        "stories_new": [(STORIES, {"kind": "new"}, None)],
        "reports_folded": [(STORIES, {"kind": "folded"}, None)],
        "dead_lettered.": [(DEAD_LETTERED, {}, "kind")],
        "failed_pruned": [(FAILED_PRUNED, {}, None)],
        **{
            kind: [(ERRORS, {"kind": kind}, None)]
            for kind in (
                "loop_errors",
                "batch_retried",
                "outcomes_unrecorded",
                "records_unpublished",
                "dead_letter_failed",
            )
        },
    }
)


def delivered(record: Delivery) -> None:
    """An alert delivered: how long after its classification (digests wait on purpose)."""
    if record.latency_ms is not None:
        LATENCY.observe(record.latency_ms / 1000)


def readiness(health: Health, stores: "AlerterStores", consumer: AIOKafkaConsumer) -> None:
    """Ready: Redis answers (and the queue gauges are read), the consumer has partitions,
    and it is not stalled with records waiting."""
    progress = Progress(time.monotonic, STALL_SECONDS)

    async def redis_gauges() -> None:
        RETRY_QUEUE.set(await stores.queue.size())
        # The pending store's schedule (its key is private to it; we only count it): one
        # member per subscription with a digest or follow-up pending.
        pending = stores.pending
        DIGESTS_PENDING.set(await pending._redis.zcard(pending._due_key))

    async def consumer_lag() -> None:
        tps = sorted(consumer.assignment())
        if not tps:
            raise LookupError("no partition assigned")
        ends = await consumer.end_offsets(tps)
        committed = {tp: await consumer.committed(tp) for tp in tps}
        starts = await consumer.beginning_offsets(tps)
        show_lag(LAG, progress, lag(ends, committed, starts), committed)

    health.probe("redis", redis_gauges)
    health.probe("kafka consumer", consumer_lag, every=5.0, fresh_for=30.0)
    health.check("progress", progress.problem)
