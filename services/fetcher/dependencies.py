"""Redis and Kafka as the fetcher's loops see them: which one failed, when to try it again,
and a log line per state change instead of one per failed call.

A failure of either is never the feed's fault: the feed is not backed off for it, nothing
is marked seen, and the poll is simply tried again once the dependency may be back.
"""

import logging
import random
from collections.abc import Callable

from aiokafka.errors import KafkaError
from redis.exceptions import RedisError

from newswatch.shared.observability import Counters
from newswatch.shared.outage import Backoff, OutageLog, describe

log = logging.getLogger("newswatch.fetcher")
REDIS, KAFKA = "redis", "kafka"


def dependency_of(exc: BaseException) -> str | None:
    """Which dependency an exception says is unavailable, if any."""
    if isinstance(exc, RedisError):
        return REDIS
    if isinstance(exc, KafkaError):
        return KAFKA
    return None


class Dependencies:
    """Up/down state of Redis and Kafka, with one backoff round shared by every caller."""

    def __init__(
        self,
        clock: Callable[[], float],
        counters: Counters,
        backoff: Backoff,
        summary_every: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self._clock = clock
        self._counters = counters
        self._backoff = backoff
        self._rng = rng or random.Random()
        self._logs = {name: OutageLog(name, clock, summary_every) for name in (REDIS, KAFKA)}
        self._rounds = dict.fromkeys(self._logs, 0)
        self._retry_at = dict.fromkeys(self._logs, 0.0)

    def down(self, name: str) -> bool:
        return self._logs[name].down

    def failed(self, name: str, exc: BaseException) -> float:
        """Record a failed call; return the clock time at which to try again.

        Calls failing together (fifty polls when Redis goes) share one retry time, so the
        backoff grows per round of tries, not per caller.
        """
        outage = self._logs[name]
        if not outage.down:
            self._counters.inc(f"dependency_down.{name}")
        self._counters.inc(f"dependency_error.{name}")
        line = outage.failed(type(exc).__name__, describe(exc))
        if line:
            log.warning("fetcher: %s", line)
        now = self._clock()
        if now >= self._retry_at[name]:
            self._rounds[name] += 1
            self._retry_at[name] = now + self._backoff.delay(self._rounds[name], self._rng)
        return self._retry_at[name]

    def succeeded(self, name: str) -> None:
        self._rounds[name] = 0
        self._retry_at[name] = 0.0
        line = self._logs[name].succeeded()
        if line:
            self._counters.inc(f"dependency_back.{name}")
            log.warning("fetcher: %s", line)
