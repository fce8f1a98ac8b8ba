"""The fetcher's Prometheus metrics and readiness (docs/operations/monitoring.md lists them)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio import Redis

from newswatch.fetcher.dependencies import KAFKA, REDIS
from newswatch.fetcher.rounds import Plan, Rounds
from newswatch.shared.health import Health
from newswatch.shared.metrics import CounterRoutes

if TYPE_CHECKING:  # service.py imports this module for POLL_SECONDS
    from newswatch.fetcher.service import Fetcher

POLLS = Counter(
    "newswatch_fetcher_polls_total",
    "Feed polls by outcome: ok (parsed), not_modified (HTTP 304), unchanged (same bytes), error.",
    ["outcome"],
)
POLL_ERRORS = Counter(
    "newswatch_fetcher_poll_errors_total",
    "Failed polls by kind (timeout, http_5xx, parse, too_large, ...).",
    ["kind"],
)
ITEMS_PUBLISHED = Counter(
    "newswatch_fetcher_items_published_total", "Items (new or corrected) published to Kafka."
)
OUTAGES = Counter(
    "newswatch_fetcher_dependency_outages_total",
    "Times Redis or Kafka became unreachable.",
    ["dependency"],
)
DOCUMENTS_PARSED = Counter(
    "newswatch_fetcher_documents_parsed_total",
    "Changed feed documents parsed, by reader: fast (plain RSS/Atom, fastparse.py), "
    "feedparser (everything else, several times slower) or json (JSON Feed).",
    ["reader"],
)
DOCUMENTS_MALFORMED = Counter(
    "newswatch_fetcher_documents_malformed_total",
    "Malformed feed documents read anyway: repaired, or entries before the fault kept.",
)
POLL_SECONDS = Histogram(
    "newswatch_fetcher_poll_duration_seconds",
    "One poll, from the request to the items published and marked (not the wait for a slot).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
FEEDS = Gauge("newswatch_fetcher_feeds", "Active feeds this instance holds.")
OVERDUE = Gauge(
    "newswatch_fetcher_feeds_overdue",
    "Feeds held, not in flight, past their next poll time by over 60 s.",
)
DEAD = Gauge(
    "newswatch_fetcher_feeds_dead",
    "Feeds held whose last 5 or more polls all failed.",
)
OVERDUE_AFTER_SECONDS = 60.0
DEAD_AFTER_FAILURES = 5

ROUTES = CounterRoutes(
    {
        "feed_polled": [(POLLS, {"outcome": "ok"}, None)],
        "feed_not_modified": [(POLLS, {"outcome": "not_modified"}, None)],
        "feed_unchanged": [(POLLS, {"outcome": "unchanged"}, None)],
        "fetch_error.": [(POLLS, {"outcome": "error"}, None), (POLL_ERRORS, {}, "kind")],
        "items_published": [(ITEMS_PUBLISHED, {}, None)],
        "feed_parsed.": [(DOCUMENTS_PARSED, {}, "reader")],
        "feed_recovered_malformed": [(DOCUMENTS_MALFORMED, {}, None)],
        "dependency_down.": [(OUTAGES, {}, "dependency")],
    }
)


def feed_gauges(plan: Plan, held: set[str], now: datetime) -> tuple[int, int, int]:
    """(active feeds held, overdue, dead) from the rounds' plan."""
    active = overdue = dead = 0
    for feed_id, feed in plan.feeds.items():
        if feed.paused or feed_id not in held:
            continue
        active += 1
        health = plan.healths.get(feed_id)
        if health is None:
            continue
        if health.consecutive_failures >= DEAD_AFTER_FAILURES:
            dead += 1
        late = health.next_poll_at and (now - health.next_poll_at).total_seconds()
        if late and late > OVERDUE_AFTER_SECONDS and feed_id not in plan.running:
            overdue += 1
    return active, overdue, dead


def readiness(health: Health, fetcher: "Fetcher", redis: Redis, producer: AIOKafkaProducer) -> None:
    """Ready: Redis answers, a Kafka broker is connected, the rounds run and neither
    dependency is marked down by the polls themselves."""

    async def redis_ping() -> None:
        await redis.ping()

    async def kafka_connection() -> None:
        client = producer.client
        for broker in client.cluster.brokers():
            if await client.ready(broker.nodeId):
                return
        raise ConnectionError("no Kafka broker connected")

    async def gauges() -> None:
        rounds: Rounds | None = getattr(fetcher, "rounds", None)
        if rounds is not None:
            active, overdue, dead = feed_gauges(rounds.plan, rounds.held, datetime.now(UTC))
            FEEDS.set(active)
            OVERDUE.set(overdue)
            DEAD.set(dead)

    health.probe("redis", redis_ping)
    health.probe("kafka", kafka_connection)
    health.probe("feeds", gauges, every=10.0, fresh_for=60.0)

    def marked_down(name: str) -> Callable[[], str | None]:
        return lambda: "down" if fetcher.dependencies.down(name) else None

    for name in (REDIS, KAFKA):
        health.check(f"{name} (polls)", marked_down(name))
