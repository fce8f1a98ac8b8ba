"""Logging set-up and the in-process counters each service reports."""

import logging
import sys
from collections import Counter

from newswatch.shared.log_limits import RepeatFilter, install

# One per process, so repeats are counted across every handler it is attached to.
_REPEATS = RepeatFilter()


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
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

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def inc(self, name: str, by: int = 1) -> None:
        self._counts[name] += by

    def get(self, name: str) -> int:
        return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        return dict(sorted(self._counts.items()))

    def summary(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.snapshot().items()) or "(nothing yet)"
