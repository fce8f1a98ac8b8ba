"""How the fetcher tells a Redis or Kafka failure from a feed's, and backs off per round."""

import logging
import random

from aiokafka.errors import KafkaTimeoutError
from redis.exceptions import ConnectionError as RedisConnectionError

from newswatch.fetcher.dependencies import KAFKA, REDIS, Dependencies, dependency_of
from newswatch.shared.observability import Counters
from newswatch.shared.outage import Backoff


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_redis_and_kafka_errors_are_the_dependencies_others_are_not():
    assert dependency_of(RedisConnectionError("closed")) == REDIS
    assert dependency_of(KafkaTimeoutError()) == KAFKA
    assert dependency_of(ValueError("bad feed")) is None


def test_fifty_polls_failing_at_once_share_one_retry_and_one_log_line(caplog):
    clock, counters = Clock(), Counters()
    deps = Dependencies(clock, counters, Backoff(base=1.0, cap=30.0), rng=random.Random(1))
    with caplog.at_level(logging.WARNING, logger="newswatch.fetcher"):
        retries = {deps.failed(REDIS, RedisConnectionError("refused")) for _ in range(50)}
    assert len(retries) == 1 and 100.5 <= retries.pop() <= 101.0, "round 1: 0.5-1 s"
    assert [r.getMessage() for r in caplog.records] == [
        "fetcher: redis down: ConnectionError: refused"
    ]
    assert counters.get("dependency_down.redis") == 1
    assert counters.get("dependency_error.redis") == 50
    assert deps.down(REDIS) and not deps.down(KAFKA)


def test_each_failed_round_waits_longer_up_to_the_cap_and_success_resets_it(caplog):
    clock = Clock()
    deps = Dependencies(clock, Counters(), Backoff(base=1.0, cap=4.0), rng=random.Random(2))
    waits = []
    for _ in range(5):
        retry_at = deps.failed(KAFKA, KafkaTimeoutError())
        waits.append(retry_at - clock.now)
        clock.now = retry_at  # the next try, when it was due
    assert 0.5 <= waits[0] <= 1 and 1 <= waits[1] <= 2 and 2 <= waits[2] <= 4
    assert all(2 <= w <= 4 for w in waits[3:]), waits
    clock.now = 142.0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="newswatch.fetcher"):
        deps.succeeded(KAFKA)
        deps.succeeded(KAFKA)  # up already: nothing more to say
    assert [r.getMessage() for r in caplog.records] == [
        "fetcher: kafka back after 42 s (5 error(s); not logged since the last line: "
        "KafkaTimeoutError 4)"
    ]
    assert not deps.down(KAFKA)
    assert deps.failed(KAFKA, KafkaTimeoutError()) - clock.now <= 1.0, "a new outage starts at 1 s"
