"""CommandBatcher against a real Redis: one pipeline per loop turn, each caller its own reply
or error, and a lost server failing every caller of a batch (never leaving one waiting)."""

import asyncio

import pytest
import redis.exceptions
from redis.asyncio import Redis

from newswatch.shared.redis import create_redis
from newswatch.shared.redis_batches import CommandBatcher
from newswatch.shared.settings import CommonSettings

pytestmark = [pytest.mark.redis]


class CountingRedis(Redis):
    """A real client that counts the pipelines it opens: the round trips the batcher made."""

    pipelines = 0

    def pipeline(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        CountingRedis.pipelines += 1
        return super().pipeline(*args, **kwargs)


@pytest.fixture
def client(redis_url: str) -> Redis:
    CountingRedis.pipelines = 0
    return CountingRedis.from_url(redis_url)


async def test_calls_of_one_loop_turn_share_one_pipeline_and_get_their_own_replies(
    client: Redis, prefix: str
) -> None:
    batcher = CommandBatcher(client)
    key = f"{prefix}:health"
    writes = [
        batcher.call(lambda pipe, n=n: pipe.hset(key, f"feed-{n}", f"v{n}")) for n in range(100)
    ]
    assert await asyncio.gather(*writes) == [1] * 100  # each field new: HSET says 1
    assert CountingRedis.pipelines == 1

    reads = [batcher.call(lambda pipe, n=n: pipe.hget(key, f"feed-{n}")) for n in (7, 42, 99, 500)]
    assert await asyncio.gather(*reads) == [b"v7", b"v42", b"v99", None]
    assert CountingRedis.pipelines == 2


async def test_a_large_backlog_goes_out_in_pipelines_of_at_most_max_batch(
    client: Redis, prefix: str
) -> None:
    batcher = CommandBatcher(client, max_batch=500)
    key = f"{prefix}:counter"
    replies = await asyncio.gather(
        *(batcher.call(lambda pipe: pipe.incr(key)) for _ in range(1200))
    )
    assert sorted(replies) == list(range(1, 1201))  # every command ran exactly once
    assert CountingRedis.pipelines == 3  # 500 + 500 + 200


async def test_a_failing_command_fails_only_its_caller(client: Redis, prefix: str) -> None:
    batcher = CommandBatcher(client)
    text, table = f"{prefix}:text", f"{prefix}:table"
    await client.set(text, "not a hash")
    await client.hset(table, "a", "1")
    results = await asyncio.gather(
        batcher.call(lambda pipe: pipe.hgetall(text)),  # WRONGTYPE
        batcher.call(lambda pipe: pipe.hgetall(table)),
        batcher.call(lambda pipe: pipe.hset(table, "b", "2")),
        return_exceptions=True,
    )
    assert isinstance(results[0], redis.exceptions.ResponseError)
    assert "WRONGTYPE" in str(results[0])
    assert results[1:] == [{b"a": b"1"}, 1]
    assert await client.hget(table, "b") == b"2"


async def test_a_cancelled_caller_leaves_the_others_their_replies(
    client: Redis, prefix: str
) -> None:
    batcher = CommandBatcher(client)
    key = f"{prefix}:cancel"
    first = asyncio.ensure_future(batcher.call(lambda pipe: pipe.incr(key)))
    second = asyncio.ensure_future(batcher.call(lambda pipe: pipe.incr(key)))
    await asyncio.sleep(0)  # both queued
    first.cancel()
    assert await second in (1, 2)
    assert first.cancelled()
    assert await client.get(key) == b"2"  # a queued command is sent even so (documented)


async def test_a_server_that_is_gone_fails_every_caller_with_a_redis_error(
    private_redis,  # type: ignore[no-untyped-def]
) -> None:
    client = create_redis(CommonSettings(redis_url=private_redis.url))
    batcher = CommandBatcher(client)
    assert await batcher.call(lambda pipe: pipe.set("k", "1")) is True
    private_redis.kill9()
    results = await asyncio.wait_for(
        asyncio.gather(
            *(batcher.call(lambda pipe: pipe.get("k")) for _ in range(20)),
            return_exceptions=True,
        ),
        timeout=60,
    )
    assert all(isinstance(r, redis.exceptions.ConnectionError) for r in results), results
    await asyncio.to_thread(private_redis.start)
    assert await asyncio.wait_for(batcher.call(lambda pipe: pipe.set("k", "2")), 60) is True
    await client.aclose()
