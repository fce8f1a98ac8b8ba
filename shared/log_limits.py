"""A logging filter that collapses repeated complaints during an outage.

While Kafka is away, aiokafka (and faust around it) logs the same few messages dozens
of times a second: "Unable connect to node ...", "Failed fetch messages ...". A retry
loop in a service logs the same error, with its traceback, at each try. Those lines say
one thing; this filter lets the first through, drops its repeats for an interval, and
notes on the next one let through how many it dropped.

A repeat is the same logger and level and
* for the noisy libraries, the same format string (``record.msg``), whatever the
  arguments: the node id or the error text may vary, the news does not;
* for everything else, only at WARNING and above, the same text and exception type.
  A line that differs (another feed, another subscription) is never dropped.

A server that cannot be reached needs no stack trace: for those errors the traceback is
replaced by the error's one-line description.
"""

import logging
import threading
import time
from collections.abc import Callable, Iterable

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from newswatch.shared.outage import describe

# The loggers that flood during an outage: the Kafka client and the stream processor.
NOISY_LIBRARIES = ("aiokafka", "kafka", "faust", "mode")
_MAX_KEYS = 2000  # distinct messages remembered; a leak guard, far above what libraries log
_UNREACHABLE = (
    ConnectionError,
    TimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NodeNotReadyError,
)


class RepeatFilter(logging.Filter):
    """Let one of each repeated message through per ``interval`` seconds, with a count."""

    def __init__(
        self,
        prefixes: Iterable[str] = NOISY_LIBRARIES,
        interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._prefixes = tuple(prefixes)
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()  # handlers may be called from several threads
        self._seen: dict[tuple[str, int, str], list[float | int]] = {}  # -> [shown at, dropped]

    def _covers(self, name: str) -> bool:
        return any(name == p or name.startswith(p + ".") for p in self._prefixes)

    def filter(self, record: logging.LogRecord) -> bool:
        library = self._covers(record.name)
        if not library and record.levelno < logging.WARNING:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        text = str(record.msg) if library else record.getMessage()
        key = (record.name, record.levelno, f"{text}\0{type(exc).__name__ if exc else ''}")
        now = self._clock()
        with self._lock:
            entry = self._seen.get(key)
            if entry is not None and now - entry[0] < self._interval:
                entry[1] += 1
                return False
            dropped = int(entry[1]) if entry is not None else 0
            if len(self._seen) >= _MAX_KEYS:
                self._forget(now)
            self._seen[key] = [now, 0]
        note = f" [repeated {dropped} more time(s) not logged]" if dropped else ""
        if isinstance(exc, _UNREACHABLE):
            note = f" ({describe(exc)}){note}"
            record.exc_info, record.exc_text = None, None
        if note:
            # Formatted here so the note cannot upset %-formatting of the original.
            record.msg, record.args = record.getMessage() + note, None
        return True

    def _forget(self, now: float) -> None:
        """Drop entries whose interval is over (their unreported counts are lost: rare, harmless)."""
        self._seen = {k: v for k, v in self._seen.items() if now - v[0] < self._interval}
        if len(self._seen) >= _MAX_KEYS:
            self._seen.clear()


def install(handlers: Iterable[logging.Handler], repeat_filter: logging.Filter) -> None:
    """Attach the filter to each handler once (handlers, not loggers: a logger's filter does not
    see records that its children propagate to it)."""
    for handler in handlers:
        if repeat_filter not in handler.filters:
            handler.addFilter(repeat_filter)
