"""When to poll a feed next: pure decisions from its health and the outcome of a poll.

* A healthy feed is polled at an interval adapted to how often it publishes: about
  a quarter of the expected gap between entries, kept within the configured bounds
  (a feed's own ``interval_seconds`` is its starting point). It speeds up at once and
  slows down at most twofold per poll.
* A failing feed backs off exponentially, capped; a server's Retry-After is a floor.
* Every delay gets +-10% jitter, so feeds added together drift apart.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from newswatch.shared.contracts.base import UtcDatetime

# How much one poll's observation moves the publishing-rate estimate.
_RATE_SMOOTHING = 0.3


class FeedHealth(BaseModel):
    """What `newswatch feeds status` shows, kept per feed in Redis."""

    interval_seconds: float
    next_poll_at: UtcDatetime | None = None
    last_poll_at: UtcDatetime | None = None
    last_success_at: UtcDatetime | None = None
    last_new_item_at: UtcDatetime | None = None
    last_error_at: UtcDatetime | None = None
    last_error_kind: str | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    entries_per_day: float | None = Field(default=None, description="Estimated publishing rate.")
    items_published: int = 0


@dataclass(frozen=True, slots=True)
class Bounds:
    min_interval: float
    max_interval: float
    max_backoff: float


@dataclass(frozen=True, slots=True)
class Success:
    new_items: int


@dataclass(frozen=True, slots=True)
class Failure:
    kind: str
    message: str
    retry_after: float | None = None


Outcome = Success | Failure


def after_poll(
    health: FeedHealth,
    outcome: Outcome,
    now: datetime,
    bounds: Bounds,
    rng: random.Random | None = None,
) -> FeedHealth:
    """The feed's health after a poll, including when to poll it next."""
    rng = rng or random.Random()
    update: dict[str, object] = {"last_poll_at": now}
    if isinstance(outcome, Success):
        rate = _publishing_rate(health, outcome.new_items, now)
        interval = _adapted_interval(health.interval_seconds, rate, bounds)
        update |= {
            "last_success_at": now,
            "consecutive_failures": 0,
            "entries_per_day": rate,
            "interval_seconds": interval,
            "items_published": health.items_published + outcome.new_items,
        }
        if outcome.new_items:
            update["last_new_item_at"] = now
        delay = interval
    else:
        failures = health.consecutive_failures + 1
        update |= {
            "last_error_at": now,
            "last_error_kind": outcome.kind,
            "last_error": outcome.message[:500],
            "consecutive_failures": failures,
        }
        delay = min(bounds.max_backoff, health.interval_seconds * 2 ** min(failures, 20))
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, bounds.max_backoff))
    update["next_poll_at"] = now + timedelta(seconds=delay * rng.uniform(0.9, 1.1))
    return health.model_copy(update=update)


def _publishing_rate(health: FeedHealth, new_items: int, now: datetime) -> float | None:
    if health.last_success_at is None:
        return health.entries_per_day  # first poll: a backlog says nothing about the rate
    elapsed_days = max((now - health.last_success_at).total_seconds(), 1.0) / 86400
    observed = new_items / elapsed_days
    if health.entries_per_day is None:
        return observed
    return (1 - _RATE_SMOOTHING) * health.entries_per_day + _RATE_SMOOTHING * observed


def _adapted_interval(current: float, entries_per_day: float | None, bounds: Bounds) -> float:
    if entries_per_day is None:
        return min(max(current, bounds.min_interval), bounds.max_interval)
    target = bounds.max_interval if entries_per_day <= 0 else 86400 / entries_per_day / 4
    # Speed up at once for a busy feed; slow down at most twofold per poll, so one quiet
    # spell does not park a feed at the longest interval.
    target = min(target, current * 2)
    return min(max(target, bounds.min_interval), bounds.max_interval)
