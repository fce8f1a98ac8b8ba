"""A lost dependency (Redis, Kafka) told to operators in a few lines, and retried with backoff.

Pure: the caller passes the clock and the random source, and logs the lines returned.

* ``OutageLog`` turns a stream of failures and successes into one line per state change
  ("redis down: <reason>", "redis back after 42 s") and, while the dependency stays down,
  at most one summary per interval counting the errors it kept quiet, by kind.
* ``Backoff`` says how long to wait before the next try: doubling from ``base`` up to
  ``cap``, jittered so that instances which lost the server together do not return together.
"""

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


def describe(exc: BaseException) -> str:
    """One short reason for a log line: the exception's type and first line, capped."""
    name = type(exc).__name__
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    if text.startswith(name):  # aiokafka's errors name themselves already
        return text
    return f"{name}: {text}" if text else name


def _by_kind(counts: Counter[str]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in counts.most_common())


class OutageLog:
    """The up/down state of one dependency, as the lines an operator should read."""

    def __init__(self, name: str, clock: Clock, summary_every: float = 60.0) -> None:
        self.name = name
        self._clock = clock
        self._every = summary_every
        self.down = False
        self._since = 0.0
        self._next_summary = 0.0
        self._quiet: Counter[str] = Counter()  # errors not logged since the last line
        self._total = 0

    def failed(self, kind: str, reason: str) -> str | None:
        """Record a failure; return the line to log, or None to stay quiet."""
        now = self._clock()
        if not self.down:
            self.down, self._since, self._next_summary = True, now, now + self._every
            self._quiet.clear()
            self._total = 1
            return f"{self.name} down: {reason}"
        self._quiet[kind] += 1
        self._total += 1
        if now < self._next_summary:
            return None
        line = (
            f"{self.name} still down after {now - self._since:.0f} s: "
            f"{sum(self._quiet.values())} error(s) not logged since the last line "
            f"({_by_kind(self._quiet)}); last: {reason}"
        )
        self._quiet.clear()
        self._next_summary = now + self._every
        return line

    def succeeded(self) -> str | None:
        """Record a success; return the line to log when this ends an outage."""
        if not self.down:
            return None
        self.down = False
        line = f"{self.name} back after {self._clock() - self._since:.0f} s ({self._total} error(s)"
        if self._quiet:
            line += f"; not logged since the last line: {_by_kind(self._quiet)}"
        return line + ")"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delays between tries: base, 2*base, 4*base ... capped; each drawn from [d/2, d]."""

    base: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The wait after the ``attempt``-th consecutive failed try (1 for the first)."""
        ceiling = min(self.cap, self.base * 2 ** min(max(attempt - 1, 0), 30))
        return rng.uniform(ceiling / 2, ceiling)
