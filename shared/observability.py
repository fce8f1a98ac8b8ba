"""Logging set-up and the in-process counters each service reports."""

import logging
import sys
from collections import Counter
from collections.abc import Callable

from newswatch.shared.log_format import JsonFormatter, LogContext
from newswatch.shared.log_limits import RepeatFilter, install

# One per process, so repeats are counted across every handler it is attached to.
_REPEATS = RepeatFilter()


def configure_logging(level: str = "INFO", log_format: str = "text", service: str = "") -> None:
    """``log_format`` "json": one JSON object per line (ts, level, logger, service, message,
    item_id / story_id where known) for every logger, the libraries' included."""
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter(service or "newswatch"))
            if not any(isinstance(f, LogContext) for f in handler.filters):
                handler.addFilter(LogContext())
    # aiokafka logs every coordinator hiccup at WARNING/ERROR during start-up.
    logging.getLogger("aiokafka").setLevel(
        max(logging.WARNING, logging.getLevelName(level.upper()))
    )
    # During a Kafka outage aiokafka and faust repeat themselves dozens of times a second.
    install(logging.getLogger().handlers, _REPEATS)


class Counters:
    """Named event counters ("fetch_error.timeout", "dead_lettered", ...).

    Logged periodically and at shutdown; cheap enough for hot paths.
    """

    def __init__(self, sink: Callable[[str, int], None] | None = None) -> None:
        self._counts: Counter[str] = Counter()
        # Also told of every count: the service's Prometheus counters (shared/metrics.py).
        self._sink = sink

    def inc(self, name: str, by: int = 1) -> None:
        self._counts[name] += by
        if self._sink is not None:
            self._sink(name, by)

    def get(self, name: str) -> int:
        return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        return dict(sorted(self._counts.items()))

    def summary(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.snapshot().items()) or "(nothing yet)"
