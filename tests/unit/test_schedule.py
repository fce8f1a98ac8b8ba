import random
from datetime import UTC, datetime, timedelta

from newswatch.fetcher.schedule import Bounds, Failure, FeedHealth, Success, after_poll

NOW = datetime(2025, 9, 2, 12, 0, tzinfo=UTC)
BOUNDS = Bounds(min_interval=60, max_interval=3600, max_backoff=6 * 3600)


def poll(health, outcome, minutes_later=0):
    return after_poll(
        health, outcome, NOW + timedelta(minutes=minutes_later), BOUNDS, random.Random(7)
    )


def delay(health, at_minutes=0):
    return (health.next_poll_at - (NOW + timedelta(minutes=at_minutes))).total_seconds()


def test_a_busy_feed_is_polled_more_often_within_bounds():
    health = poll(FeedHealth(interval_seconds=600), Success(new_items=50))
    for n in range(1, 6):  # 10 new entries every 10 minutes: 1440 a day
        health = poll(health, Success(new_items=10), minutes_later=10 * n)
    assert health.interval_seconds == 60
    assert 54 <= delay(health, 50) <= 66


def test_a_quiet_feed_drifts_to_the_longest_interval():
    health = poll(FeedHealth(interval_seconds=600), Success(new_items=3))
    for n in range(1, 8):
        health = poll(health, Success(new_items=0), minutes_later=10 * n)
    assert health.interval_seconds == 3600


def test_the_first_poll_backlog_does_not_count_as_a_publishing_rate():
    health = poll(FeedHealth(interval_seconds=600), Success(new_items=500))
    assert health.entries_per_day is None and health.interval_seconds == 600


def test_failures_back_off_exponentially_up_to_the_cap_and_recover_at_once():
    health = FeedHealth(interval_seconds=600)
    delays = []
    for n in range(8):
        health = poll(health, Failure("timeout", "timed out"), minutes_later=n)
        delays.append(delay(health, n))
    assert delays[0] < delays[1] < delays[2]
    assert max(delays) <= 6 * 3600 * 1.1 and delays[-1] >= 6 * 3600 * 0.9
    assert health.consecutive_failures == 8 and health.last_error_kind == "timeout"
    health = poll(health, Success(new_items=1), minutes_later=30)
    assert health.consecutive_failures == 0 and delay(health, 30) <= 600 * 1.1


def test_retry_after_is_a_floor_for_the_next_poll():
    health = poll(
        FeedHealth(interval_seconds=60), Failure("http_status", "HTTP 429", retry_after=1800)
    )
    assert delay(health) >= 1800 * 0.9


def test_one_quiet_poll_only_doubles_the_interval():
    health = poll(FeedHealth(interval_seconds=120), Success(new_items=5))
    health = poll(health, Success(new_items=0), minutes_later=2)
    assert health.interval_seconds == 240
