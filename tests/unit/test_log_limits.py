"""The repeat filter, with a fake clock and a real handler: a flood in, a few lines out."""

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from newswatch.shared.log_limits import RepeatFilter, install


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def attach():
    """attach(name): a logger of that name writing to a fresh handler that has the filter."""
    attached: list[tuple[logging.Logger, Lines, tuple[bool, int]]] = []

    def make(name: str) -> tuple[Clock, Lines, logging.Logger]:
        clock, handler = Clock(), Lines()
        repeat_filter = RepeatFilter(prefixes=("aiokafka", "faust"), interval=60.0, clock=clock)
        install([handler], repeat_filter)
        install([handler], repeat_filter)  # twice: still one filter
        assert handler.filters == [repeat_filter]
        log = logging.getLogger(name)
        attached.append((log, handler, (log.propagate, log.level)))
        log.propagate = False
        log.setLevel(logging.DEBUG)
        log.addHandler(handler)
        return clock, handler, log

    yield make
    for log, handler, (propagate, level) in attached:
        log.removeHandler(handler)
        log.propagate, log.level = propagate, level


def test_a_library_flood_becomes_one_line_per_message_per_interval_with_a_count(attach):
    clock, handler, log = attach("aiokafka.conn.testing")
    for n in range(1500):  # 20 s at 75 a second, two messages with varying arguments
        clock.now = n / 75
        log.error("Unable connect to node with id %s: %s", n % 3, f"refused #{n}")
        if n % 2:
            log.error("Failed fetch messages from %s", n % 3)
    assert handler.lines == [
        "aiokafka.conn.testing ERROR Unable connect to node with id 0: refused #0",
        "aiokafka.conn.testing ERROR Failed fetch messages from 1",
    ]
    clock.now = 61.0
    log.error("Unable connect to node with id %s: %s", 1, "refused again")
    assert handler.lines[-1] == (
        "aiokafka.conn.testing ERROR Unable connect to node with id 1: refused again "
        "[repeated 1499 more time(s) not logged]"
    )
    log.error("Failed fetch messages from %s", 1)  # 750 logged, one shown
    assert handler.lines[-1] == (
        "aiokafka.conn.testing ERROR Failed fetch messages from 1 "
        "[repeated 749 more time(s) not logged]"
    )
    clock.now = 62.0
    log.error("Failed fetch messages from %s", 1)
    assert len(handler.lines) == 4, "a new interval began at 61 s"


def test_own_lines_are_collapsed_only_when_identical_and_at_warning_or_above(attach):
    _, handler, log = attach("newswatch.testing")
    for _ in range(3):
        log.info("feed %s: published %d item(s)", "a", 2)  # info: never dropped
    for feed in ("a", "b", "c"):
        log.warning("feed %s: %s error: %s", feed, "timeout", "timed out")  # three feeds
    for _ in range(40):
        log.warning("feed %s: %s error: %s", "a", "timeout", "timed out")  # one feed again
    assert handler.lines == [
        *["newswatch.testing INFO feed a: published 2 item(s)"] * 3,
        "newswatch.testing WARNING feed a: timeout error: timed out",
        "newswatch.testing WARNING feed b: timeout error: timed out",
        "newswatch.testing WARNING feed c: timeout error: timed out",
    ]


def test_a_retry_loop_logging_an_unreachable_server_gets_one_line_without_a_traceback(attach):
    clock, handler, log = attach("newswatch.retrying")
    for n in range(60):
        clock.now = n * 0.3
        try:
            raise RedisConnectionError("Connection closed by server.")
        except RedisConnectionError:
            log.exception("alerter: claiming deliveries failed; trying again")
        try:
            raise ValueError("a bug")
        except ValueError:
            log.exception("alerter: claiming deliveries failed; trying again")
    first, bug = handler.lines[0], handler.lines[1]
    assert first == (
        "newswatch.retrying ERROR alerter: claiming deliveries failed; trying again "
        "(ConnectionError: Connection closed by server.)"
    )
    assert "Traceback" in bug and "ValueError: a bug" in bug, "a bug keeps its traceback"
    assert len(handler.lines) == 2


def test_records_from_child_loggers_are_seen_through_the_handler(attach):
    # The filter sits on the handler, so records propagated from below reach it too.
    _, handler, _ = attach("aiokafka")
    child = logging.getLogger("aiokafka.consumer.fetcher")
    for _ in range(10):
        child.error("Failed fetch messages from %s", 1)
    assert handler.lines == ["aiokafka.consumer.fetcher ERROR Failed fetch messages from 1"]
