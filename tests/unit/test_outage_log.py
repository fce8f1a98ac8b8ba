"""Outage lines and backoff, with a fake clock: what an operator reads while Redis is away."""

import random

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError

from newswatch.shared.outage import Backoff, OutageLog, describe


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_line_when_it_goes_down_none_for_repeats_and_one_when_it_is_back():
    clock = Clock()
    outage = OutageLog("redis", clock)
    assert outage.failed("ConnectionError", "ConnectionError: refused") == (
        "redis down: ConnectionError: refused"
    )
    lines = []
    for _ in range(50):
        clock.now += 0.5
        lines.append(outage.failed("ConnectionError", "ConnectionError: refused"))
    assert lines == [None] * 50  # 25 s down: within the first minute, nothing more
    clock.now = 1042.0
    assert outage.succeeded() == (
        "redis back after 42 s (51 error(s); not logged since the last line: ConnectionError 50)"
    )
    assert outage.succeeded() is None, "up stays quiet"


def test_a_summary_a_minute_while_down_counts_the_quiet_errors_by_kind():
    clock = Clock()
    outage = OutageLog("kafka", clock, summary_every=60.0)
    outage.failed("KafkaConnectionError", "first")
    quiet = [("KafkaConnectionError", 30), ("KafkaTimeoutError", 5)]
    lines = []
    for kind, n in quiet:
        for _ in range(n):
            clock.now += 1.0
            lines.append(outage.failed(kind, "again"))
    assert [line for line in lines if line] == []  # 35 s so far
    clock.now = 1060.0
    line = outage.failed("KafkaTimeoutError", "timed out")
    assert line == (
        "kafka still down after 60 s: 36 error(s) not logged since the last line "
        "(KafkaConnectionError 30, KafkaTimeoutError 6); last: timed out"
    )
    clock.now = 1061.0
    assert outage.failed("KafkaTimeoutError", "timed out") is None  # next summary at 1120
    clock.now = 1120.0
    assert outage.failed("KafkaTimeoutError", "timed out").startswith(
        "kafka still down after 120 s: 2 error(s)"
    )


def test_a_second_outage_starts_its_own_count():
    clock = Clock()
    outage = OutageLog("redis", clock)
    outage.failed("ConnectionError", "a")
    outage.failed("ConnectionError", "a")
    clock.now += 5
    outage.succeeded()
    clock.now += 100
    assert outage.failed("TimeoutError", "b") == "redis down: b"
    clock.now += 3
    assert outage.succeeded() == "redis back after 3 s (1 error(s))"


def test_backoff_doubles_up_to_the_cap_with_jitter_below_each_step():
    backoff = Backoff(base=1.0, cap=30.0)
    rng = random.Random(3)
    ceilings = [1, 2, 4, 8, 16, 30, 30, 30]
    for attempt, ceiling in enumerate(ceilings, start=1):
        delays = [backoff.delay(attempt, rng) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempt, min(delays))
        assert max(delays) - min(delays) > ceiling / 4, "jittered, not a fixed step"
    assert backoff.delay(10_000, rng) <= 30.0, "no overflow however long it lasts"


def test_describe_gives_type_and_first_line():
    assert describe(ConnectionError("refused\nmore detail")) == "ConnectionError: refused"
    assert describe(TimeoutError()) == "TimeoutError"
    assert describe(KafkaTimeoutError()) == "KafkaTimeoutError"
    assert describe(KafkaConnectionError("closed")) == "KafkaConnectionError: closed"
