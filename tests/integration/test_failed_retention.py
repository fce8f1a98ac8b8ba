"""Failed deliveries are kept for ``failed_retention``, not for ever: the alerter prunes older
ones, a batch at a time, each id leaving the index and the jobs together."""

import logging
import time
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from newswatch.alerter.failed import FailedDeliveries, FailedFilter, Pruned
from newswatch.alerter.jobs import DeliveryJob
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.outcomes import OutcomeWriter
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ChannelTarget, DeliveryStatus
from newswatch.shared.redis import create_redis
from tests.factories import classified
from tests.integration.alerter_harness import RunningAlerter
from tests.integration.helpers import until

pytestmark = [pytest.mark.redis]

DAY = 86400.0
NOW = time.time()
# Explicit failure times: days ago for each id. 14 days is the default retention.
AGES = {"old1": 40, "old2": 20, "old3": 15, "old4": 14.5, "old5": 14.01, "young1": 13.99}
AGES |= {"young2": 1, "young3": 0}
OLD = {k for k in AGES if k.startswith("old")}
YOUNG = set(AGES) - OLD


async def seed(redis, store: FailedDeliveries, ages: dict[str, float]) -> None:
    await redis.zadd(store.index_key, {k: NOW - days * DAY for k, days in ages.items()})
    await redis.hset(store.jobs_key, mapping={k: f'{{"id": "{k}"}}' for k in ages})


async def contents(redis, store: FailedDeliveries) -> tuple[set[str], set[str]]:
    index = {m.decode() for m in await redis.zrange(store.index_key, 0, -1)}
    jobs = {k.decode() for k in await redis.hkeys(store.jobs_key)}
    return index, jobs


@pytest.fixture
async def redis_and_store(env_settings):
    settings = AlerterSettings()
    redis = create_redis(settings)
    prefix = settings.redis_prefix
    yield redis, FailedDeliveries(redis, prefix, DeliveryLedger(redis, prefix))
    await redis.aclose()


async def test_deliveries_failed_before_the_cutoff_go_in_batches_and_younger_ones_stay(
    redis_and_store,
):
    redis, store = redis_and_store
    await seed(redis, store, AGES)
    # A batch of 2 takes three steps for the five old ones; each step removes both halves.
    assert await store.prune(NOW - 14 * DAY, batch=2) == Pruned(expired=5, unindexed=0)
    assert await contents(redis, store) == (YOUNG, YOUNG)
    assert await store.prune(NOW - 14 * DAY, batch=2) == Pruned(0, 0), "nothing left to prune"


async def test_jobs_without_an_index_entry_are_dropped_and_indexed_ones_kept(redis_and_store):
    redis, store = redis_and_store
    await seed(redis, store, {"young1": 2, "young2": 0})
    # As a crash between two separate writes would leave them: a job, no index entry.
    await redis.hset(store.jobs_key, mapping={"stray1": "{}", "stray2": "{}"})
    assert await store.prune(NOW - 14 * DAY) == Pruned(expired=0, unindexed=2)
    assert await contents(redis, store) == ({"young1", "young2"}, {"young1", "young2"})


def failed_job(n: int) -> DeliveryJob:
    item = classified(n)
    target = ChannelTarget(kind="webhook", target="http://127.0.0.1:9/gone")
    return DeliveryJob(
        id=f"{n:032x}",
        kind="alert",
        subscription_id="desk",
        team="ops",
        target=target,
        item=item,
        hits=item.tags,
    )


def pruned_total() -> float:
    return REGISTRY.get_sample_value("newswatch_alerter_failed_deliveries_pruned_total") or 0.0


@pytest.mark.kafka
async def test_the_running_alerter_prunes_and_counts_and_the_rest_stays_whole(env_settings, caplog):
    settings = AlerterSettings(failed_retention=timedelta(days=14))
    ages = {1: 30.0, 2: 20.0, 3: 15.0, 4: 10.0, 5: 0.0}  # job number -> days since it failed
    async with RunningAlerter(settings) as running:
        alerter = running.alerter
        redis = alerter.failed._redis
        writer = OutcomeWriter(redis, alerter.ledger, alerter.queue, alerter.failed)
        for n, days in ages.items():  # as the dispatcher records a final failure
            job = failed_job(n)
            await writer.write(job, job.record(DeliveryStatus.FAILED, "…"), NOW - days * DAY)
        listed = await alerter.failed.failed_deliveries(FailedFilter(team="ops"))
        assert len(listed) == 5
        before = pruned_total()
        with caplog.at_level(logging.INFO, logger="newswatch.alerter"):
            running.start()
            await until(lambda: any("pruned" in r.getMessage() for r in caplog.records))
        (line,) = [r.getMessage() for r in caplog.records if "pruned" in r.getMessage()]
        assert line == "alerter: pruned 3 failed delivery(ies) older than 14 days"
        assert pruned_total() - before == 3
        young = {f"{n:032x}" for n in (4, 5)}
        assert await contents(redis, alerter.failed) == (young, young)
        # What the API and `newswatch deliveries retry` see: whole entries only.
        listed = await alerter.failed.failed_deliveries(FailedFilter(team="ops"))
        assert {d.id for d in listed} == young
        replayed = await alerter.failed.replay(alerter.queue, FailedFilter(team="ops"), 1.0)
        assert {d.id for d in replayed} == young
