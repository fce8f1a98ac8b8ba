"""The durable parts of the alerter against a real Redis: the retry queue and pending digests."""

import asyncio
import time

import pytest

from newswatch.alerter.failed import FailedDeliveries
from newswatch.alerter.jobs import PendingEntry, alert_jobs
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.outcomes import OutcomeWriter
from newswatch.alerter.pending import PendingDigests
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.stories import StoryBook
from newswatch.shared.contracts import (
    ChannelTarget,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
)
from newswatch.shared.redis import create_redis
from tests.factories import classified

pytestmark = [pytest.mark.redis]


@pytest.fixture
async def redis(env_settings):
    client = create_redis(AlerterSettings())
    yield client
    await client.aclose()


def jobs(n: int, sub_id: str = "desk"):
    sub = Subscription(
        id=sub_id,
        tags=["strike"],
        channels=[
            ChannelTarget(kind="webhook", target=f"https://93.184.215.14/{i}") for i in range(n)
        ],
    )
    item = classified(1)
    return sub, item, alert_jobs(sub, item, item.tags, StoryBook().assign(item).story)


async def test_a_story_is_claimed_once_however_often_it_is_offered(redis, prefix):
    queue = RetryQueue(redis, prefix, lease_seconds=0.0)
    sub, _, batch = jobs(3)
    async with redis.pipeline(transaction=False) as pipe:
        for _ in range(3):  # a replay, a duplicate, another instance
            await queue.claim_story(pipe, sub.key, batch[0].story.id, batch)
        assert await pipe.execute() == [1, 0, 0]
    assert await queue.size() == 3


async def test_due_jobs_go_to_one_claimer_and_come_back_when_the_lease_runs_out(redis, prefix):
    batch = jobs(20, "a")[2] + jobs(20, "b")[2]
    queue = RetryQueue(redis, prefix, lease_seconds=1.0)
    async with redis.pipeline(transaction=True) as pipe:
        for job in batch:
            await queue.put(pipe, job, due=0)
        await pipe.execute()
    first, second = await asyncio.gather(queue.claim_due(limit=25), queue.claim_due(limit=25))
    assert {j.id for j in first}.isdisjoint(j.id for j in second)
    assert len(first) + len(second) == 40
    assert await queue.claim_due() == [], "leased, not due"
    await asyncio.sleep(1.2)  # the claimers died without finishing
    assert len(await queue.claim_due(limit=100)) == 40


async def test_a_digest_flush_takes_exactly_the_entries_it_read_and_keeps_later_ones_due(
    redis, prefix
):
    queue = RetryQueue(redis, prefix, lease_seconds=30.0)
    pending = PendingDigests(redis, prefix, queue)
    sub, item, batch = jobs(1)
    entries = [
        PendingEntry(story_id=f"{n:032x}", update=False, item=item, hits=item.tags)
        for n in range(3)
    ]
    async with redis.pipeline(transaction=False) as pipe:
        for entry in entries[:2]:
            await pending.claim_story(pipe, sub.key, entry, due_in=0)
        await pipe.execute()
    assert await pending.claim_due(lease=30) == [sub.key]
    read = await pending.entries(sub.key)
    async with redis.pipeline(transaction=False) as pipe:  # arrives while the digest is built
        await pending.claim_story(pipe, sub.key, entries[2], due_in=0)
        await pipe.execute()
    await pending.flush(sub.key, read, batch, next_due_in=0)
    assert await queue.size() == 1
    assert [e.story_id for e in await pending.entries(sub.key)] == [entries[2].story_id]
    assert await pending.claim_due(lease=30) == [sub.key], "still due for the late entry"
    await pending.flush(sub.key, await pending.entries(sub.key), [], next_due_in=0)
    assert await pending.claim_due(lease=30) == [], "nothing left, nothing due"


async def test_a_retrying_alert_holds_back_the_later_ones_to_its_destination_which_then_go_in_line(
    redis, prefix
):
    queue = RetryQueue(redis, prefix, lease_seconds=30.0)
    ledger = DeliveryLedger(redis, prefix)
    outcomes = OutcomeWriter(redis, ledger, queue, FailedDeliveries(redis, prefix, ledger))
    sub = Subscription(
        id="lane",
        tags=["strike"],
        channels=[ChannelTarget(kind="webhook", target="https://93.184.215.14/hook")],
    )
    first, second, third = [
        alert_jobs(sub, item, item.tags, StoryBook().assign(item).story)[0]
        for item in (classified(1), classified(2), classified(3))
    ]
    async with redis.pipeline(transaction=True) as pipe:
        for due, job in enumerate((first, second, third)):
            await queue.put(pipe, job, due=due)
        await pipe.execute()
    assert [j.id for j in await queue.claim_due(limit=1)] == [first.id]
    first.attempts.append(DeliveryAttempt(ok=False, error="HTTP 503", status_code=503))
    retrying = first.record(DeliveryStatus.RETRYING, "…")
    await outcomes.write(first, retrying, time.time(), retry_at=0)
    assert [j.id for j in await queue.claim_due()] == [first.id], "the others wait behind it"
    assert await queue.claim_due() == [], "leased, and the others parked"
    for done, following in ((first, second), (second, third)):
        done.attempts.append(DeliveryAttempt(ok=True))
        await outcomes.write(done, done.record(DeliveryStatus.DELIVERED, "…"), time.time())
        assert [j.id for j in await queue.claim_due()] == [following.id], "in line, at once"
    assert (await ledger.get(first.id)).status == "delivered"
    third.attempts.append(DeliveryAttempt(ok=True))
    await outcomes.write(third, third.record(DeliveryStatus.DELIVERED, "…"), time.time())
    async with redis.pipeline(transaction=True) as pipe:  # the line is empty: flowing again
        for due, job in enumerate((first, second)):
            await queue.put(pipe, job, due=due)
        await pipe.execute()
    assert sorted(j.id for j in await queue.claim_due()) == sorted([first.id, second.id])
