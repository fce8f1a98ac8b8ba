"""Delivery jobs: one per subscription, story and destination; what follows each attempt."""

from datetime import UTC, datetime, timedelta

import pytest

from newswatch.alerter.alert import Alert, Digest
from newswatch.alerter.jobs import (
    PendingEntry,
    after_attempt,
    alert_jobs,
    backoff_delay,
    delivery_id,
    digest_jobs,
)
from newswatch.alerter.stories import StoryBook
from newswatch.shared.contracts import ChannelTarget, DeliveryStatus, Subscription
from tests.factories import classified

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def subscription(**kw) -> Subscription:
    return Subscription(
        id="desk",
        team="watch",
        tags=["strike"],
        channels=[
            ChannelTarget(kind="console"),
            ChannelTarget(kind="email", target="a@example.org"),
        ],
        **kw,
    )


def test_delivery_ids_are_one_per_subscription_story_and_destination():
    assert delivery_id("s", "i", "email:a") == delivery_id("s", "i", "email:a")
    ids = {
        delivery_id("s", "i", "email:a"),
        delivery_id("s", "i", "email:b"),
        delivery_id("t", "i", "email:a"),
    }
    assert len(ids) == 3


def test_an_alert_makes_one_job_per_destination_keyed_by_story_not_by_report():
    item, later = classified(1), classified(2)
    book = StoryBook()
    story = book.assign(item).story
    assert book.assign(later).story.id == story.id
    first = alert_jobs(subscription(), item, item.tags, story)
    second = alert_jobs(subscription(), later, later.tags, story)
    assert [j.id for j in first] == [j.id for j in second]  # the same story: the same deliveries
    assert len({j.id for j in first}) == 2
    notice = first[0].notice()
    assert isinstance(notice, Alert) and notice.story_id == story.id


def test_a_job_survives_storage_and_its_record_says_how_it_went():
    item = classified(1)
    story = StoryBook().assign(item).story
    job = alert_jobs(subscription(), item, item.tags, story)[1]
    again = type(job).model_validate_json(job.model_dump_json())
    assert again == job
    record = again.record(DeliveryStatus.DELIVERED, "a@example.org")
    assert record.story_id == story.id and record.item_id == item.item.id
    assert record.team == "watch" and record.latency_ms is not None and record.latency_ms >= 0


def test_digest_ids_depend_on_exactly_the_entries_sent():
    items = [classified(1), classified(2, {"sanctions": 0.9}, title="EU adopts bank sanctions")]
    book = StoryBook()
    stories = {}
    entries = []
    for item in items:
        story = book.assign(item).story
        stories[story.id] = story
        entries.append(PendingEntry(story_id=story.id, update=False, item=item, hits=item.tags))
    both = digest_jobs(subscription(), entries, stories)
    assert [j.id for j in both] == [
        j.id for j in digest_jobs(subscription(), entries[::-1], stories)
    ]
    assert both[0].id != digest_jobs(subscription(), entries[:1], stories)[0].id
    digest = both[0].notice()
    assert isinstance(digest, Digest) and len(digest.entries) == 2
    assert digest.title == "newswatch digest: 2 new stories"


def test_success_delivers_and_a_permanent_error_fails_at_once():
    kw = dict(max_attempts=5, base=1.0, cap=60.0, now=NOW)
    assert after_attempt(1, True, False, None, **kw).status is DeliveryStatus.DELIVERED
    assert after_attempt(1, False, False, None, **kw).status is DeliveryStatus.FAILED


def test_retryable_errors_are_rescheduled_until_the_last_attempt():
    kw = dict(max_attempts=3, base=1.0, cap=60.0, now=NOW)
    retry = after_attempt(2, False, True, None, **kw)
    assert retry.status is DeliveryStatus.RETRYING and NOW <= retry.retry_at <= NOW + timedelta(
        seconds=2
    )
    assert after_attempt(3, False, True, None, **kw).status is DeliveryStatus.FAILED


def test_retry_after_from_the_receiver_is_a_floor():
    outcome = after_attempt(1, False, True, 30.0, max_attempts=5, base=1.0, cap=2.0, now=NOW)
    assert outcome.retry_at >= NOW + timedelta(seconds=30)


@pytest.mark.parametrize("attempt", [1, 2, 5, 10])
def test_backoff_is_jittered_exponential_and_capped(attempt):
    for _ in range(50):
        assert 0 <= backoff_delay(attempt, 1.0, 8.0) <= min(8.0, 2 ** (attempt - 1))


def test_retries_last_for_the_window_with_the_final_try_at_its_end():
    """Default settings: no attempt limit, a 24 h window, waits capped at 10 minutes."""
    kw = dict(base=2.0, cap=600.0, give_up_at=NOW + timedelta(hours=24))
    assert after_attempt(500, False, True, None, now=NOW, **kw).status is DeliveryStatus.RETRYING
    late = after_attempt(90, False, True, 3600.0, now=NOW + timedelta(hours=23.9), **kw)
    assert late.status is DeliveryStatus.RETRYING and late.retry_at == NOW + timedelta(hours=24)
    over = after_attempt(91, False, True, None, now=NOW + timedelta(hours=24), **kw)
    assert over.status is DeliveryStatus.FAILED
