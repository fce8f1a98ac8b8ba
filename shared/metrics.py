"""What every service's metrics share: the bridge from ``Counters`` to Prometheus, consumer
lag and the "not stalled" test. Pure logic; the metric objects live in each service's
``metrics.py`` (names ``newswatch_<service>_...``, listed in docs/operations/monitoring.md).

The services count events with :class:`~newswatch.shared.observability.Counters` (names
like ``fetch_error.timeout``); a :class:`CounterRoutes` given to it as its sink mirrors
each count into a Prometheus counter, the part after the dot becoming a label. So there
is one place that counts, and both the 60 s log summary and ``/metrics`` show it.
"""

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from prometheus_client import Counter, Gauge

# (metric, fixed labels, label taking the name's part after the dot, or None)
Target = tuple[Counter, dict[str, str], str | None]


class CounterRoutes:
    """``routes``: a counter name (``items_published``) or a prefix with its dot
    (``fetch_error.``) -> the Prometheus counters it adds to. Other names stay log-only."""

    def __init__(self, routes: Mapping[str, list[Target]]) -> None:
        self._routes = dict(routes)
        # name -> its counters with labels applied: labels() costs microseconds, a hit ~0.1.
        # Names are few (kinds, tags, channels), so the cache stays small.
        self._resolved: dict[str, list[Counter]] = {}

    def __call__(self, name: str, by: int) -> None:
        children = self._resolved.get(name)
        if children is None:
            children = self._resolved[name] = self._resolve(name)
        for child in children:
            child.inc(by)

    def _resolve(self, name: str) -> list[Counter]:
        head, dot, tail = name.partition(".")
        children = []
        for metric, fixed, label in self._routes.get(head + dot, ()):
            labels = {**fixed, label: tail} if label else fixed
            children.append(metric.labels(**labels) if labels else metric)
        return children


P = TypeVar("P", bound=Hashable)  # a partition, as each client names it


def lag(
    ends: Mapping[P, int],
    committed: Mapping[P, int | None],
    starts: Mapping[P, int] | None = None,
) -> dict[P, int]:
    """Records not yet committed, per partition: end offset minus committed offset.

    A partition with nothing committed yet counts from its first offset (``starts``, or 0)."""
    result: dict[P, int] = {}
    for tp, end in ends.items():
        done = committed.get(tp)
        if done is None:
            done = (starts or {}).get(tp, 0)
        result[tp] = max(0, end - done)
    return result


STALL_SECONDS = 120.0  # records waiting and no commit for this long: the consumer is not ready


def lag_gauge(service: str, records: str) -> Gauge:
    return Gauge(
        f"newswatch_{service}_consumer_lag",
        f"{records} not yet committed by this instance, per assigned partition.",
        ["topic", "partition"],
    )


@dataclass(slots=True)
class Progress:
    """Is a consumer stalled: records waiting (lag) while its committed position stands still?

    An idle consumer (no lag) is never stalled, however long nothing moves."""

    clock: Callable[[], float]
    limit: float  # seconds without progress, with records waiting, that count as stalled
    _position: int | None = None
    _moved_at: float = 0.0
    _lag: int = 0
    _seen: bool = field(default=False)

    def observe(self, lag_total: int, position_total: int) -> None:
        now = self.clock()
        if not self._seen or position_total != self._position or lag_total == 0:
            self._moved_at = now
        self._position, self._lag, self._seen = position_total, lag_total, True

    def problem(self) -> str | None:
        if not self._seen:
            return "lag not measured yet"
        still = self.clock() - self._moved_at
        if self._lag and still > self.limit:
            return f"{self._lag} record(s) waiting and no progress for {still:.0f} s"
        return None


def show_lag(
    gauge: Gauge,
    progress: "Progress",
    lags: Mapping[Any, int],
    committed: Mapping[Any, int | None],
) -> None:
    """Set the lag gauge per partition (``lags`` keyed by TopicPartition) and note progress."""
    gauge.clear()  # partitions taken away by a rebalance leave
    for tp, waiting in lags.items():
        gauge.labels(tp.topic, str(tp.partition)).set(waiting)
    progress.observe(sum(lags.values()), sum(c or 0 for c in committed.values()))
