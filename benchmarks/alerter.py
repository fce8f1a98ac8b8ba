"""The alerter end to end: real Kafka and Redis, a webhook receiver in another process.

10,000 subscriptions are loaded; 9,800 of them watch other countries, so each item
is matched against all of them but reaches only the ones meant to fire. Two runs:

* throughput: 20 stories, each wanted by 200 webhook subscriptions (4,000 deliveries);
* latency: 50 stories a second for 20 seconds, each wanted by 2 subscriptions; the
  time from producing the classified item to the receiver reading the webhook.
"""

import asyncio
import multiprocessing
import random
import re
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from benchmarks.measure import Row, bench_subscriptions
from newswatch.shared.contracts import (
    ChannelTarget,
    ClassifiedItem,
    Facts,
    NewsItem,
    Place,
    Subscription,
    TagHit,
)

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer
    from redis.asyncio import Redis

    from newswatch.alerter.service import Alerter
    from newswatch.alerter.settings import AlerterSettings

WIDE, NARROW, ITEMS_FOR_THROUGHPUT, RATE, SECONDS = 200, 2, 20, 50, 20
_STORY = re.compile(rb'"story_id":"([0-9a-f]{32})"')


def _receive(port_out: "multiprocessing.Queue[int]", seen: "multiprocessing.Queue") -> None:  # type: ignore[type-arg]
    """A keep-alive HTTP/1.1 webhook receiver that notes which story arrived when."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))  # type: ignore[union-attr]
                body = await reader.readexactly(length)
                match = _STORY.search(body)
                seen.put((match.group(1).decode() if match else "", time.time()))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_out.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def _item(n: int, tag: str) -> ClassifiedItem:
    now = datetime.now(UTC)
    city = f"Town{n}"
    return ClassifiedItem(
        item=NewsItem(
            id=uuid.uuid4().hex,
            feed_id="bench",
            feed_url="https://bench.example/rss",
            source="Bench Wire",
            title=f"Report {n} from {city}: event number {n}",
            summary="Benchmark item.",
            published_at=now,
            fetched_at=now,
            language="en",
        ),
        tags=[TagHit(tag=tag, confidence=0.9)],
        facts=Facts(places=[Place(name=city, country_code="UA", kind="city")]),
        classifier_version="bench",
        classified_at=now,
    )


def _hook(url: str, tag: str, n: int) -> Subscription:
    return Subscription(
        id=f"{tag}-{n}",
        team="bench",
        tags=[tag],
        countries=["UA"],
        channels=[ChannelTarget(kind="webhook", target=f"{url}/hook/{tag}/{n}")],
    )


async def _run(
    bootstrap: str, redis_url: str, url: str, seen: "multiprocessing.Queue"
) -> list[Row]:  # type: ignore[type-arg]
    from newswatch.alerter.bootstrap import running_alerter
    from newswatch.alerter.settings import AlerterSettings
    from newswatch.shared.kafka import create_producer
    from newswatch.shared.redis import create_redis

    settings = AlerterSettings(
        kafka_bootstrap_servers=bootstrap,
        redis_url=redis_url,
        topic_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        allowed_networks="127.0.0.0/8",
        concurrency=100,
    )
    async with running_alerter(settings, "bench-alerter") as alerter:
        redis = create_redis(settings)
        producer = create_producer(settings, "bench-classifier")
        await producer.start()
        try:
            return await _measure(alerter, settings, redis, producer, url, seen)
        finally:
            await producer.stop()
            await redis.aclose()


async def _measure(
    alerter: "Alerter",
    settings: "AlerterSettings",
    redis: "Redis",
    producer: "AIOKafkaProducer",
    url: str,
    seen: "multiprocessing.Queue",  # type: ignore[type-arg]
) -> list[Row]:
    # Matched against every item, wanted by none: they watch other countries.
    others = [
        s.model_copy(update={"countries": s.countries or ["ZZ"]})
        for s in bench_subscriptions(10_000 - WIDE - NARROW, random.Random(7))
    ]
    subs = [
        *others,
        *(_hook(url, "strike", n) for n in range(WIDE)),
        *(_hook(url, "sanctions", n) for n in range(NARROW)),
    ]
    for start in range(0, len(subs), 1000):
        async with redis.pipeline(transaction=False) as pipe:
            for sub in subs[start : start + 1000]:
                pipe.hset(
                    f"{settings.redis_prefix}:alerter:subscriptions", sub.key, sub.to_json_bytes()
                )
            pipe.incr(f"{settings.redis_prefix}:alerter:subscriptions:version")
            await pipe.execute()
    task = asyncio.create_task(alerter.run())
    rows: list[Row] = []
    try:
        await alerter.refresh_subscriptions(force=True)
        assert alerter.subscription_count == len(subs)

        async def received(count: int, within: float) -> list[tuple[str, float]]:
            got: list[tuple[str, float]] = []
            deadline = time.monotonic() + within
            while len(got) < count and time.monotonic() < deadline:
                while not seen.empty():
                    got.append(seen.get())
                await asyncio.sleep(0.01)
            return got

        started = time.time()
        for n in range(ITEMS_FOR_THROUGHPUT):
            await producer.send(settings.topics.classified, _item(n, "strike").to_json_bytes())
        await producer.flush()
        expected = ITEMS_FOR_THROUGHPUT * WIDE
        got = await received(expected, within=120)
        elapsed = max(t for _, t in got) - started if got else float("inf")
        rows.append(
            Row(
                f"alert: webhook deliveries/s ({expected} to one receiver)",
                len(got) / elapsed if len(got) == expected else 0.0,
                "/s",
                500,
                ">=",
            )
        )

        # The latency run measures a steady 50 items/s, not the tail of the burst above:
        # let the alerter finish recording those deliveries first.
        for _ in range(600):
            if not await alerter.queue.size():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(2.0)
        sent: dict[str, float] = {}
        t0 = time.monotonic()
        for n in range(RATE * SECONDS):
            await asyncio.sleep(max(0.0, t0 + n / RATE - time.monotonic()))
            item = _item(10_000 + n, "sanctions")
            sent[item.item.id] = time.time()
            await producer.send(
                settings.topics.classified, item.to_json_bytes(), key=item.item.id.encode()
            )
        got = await received(RATE * SECONDS * NARROW, within=60)
        latencies = sorted((t - sent[story]) * 1000 for story, t in got if story in sent)
        complete = len(latencies) == RATE * SECONDS * NARROW
        p50 = statistics.median(latencies) if complete else float("inf")
        p99 = latencies[int(len(latencies) * 0.99) - 1] if complete else float("inf")
        rows.append(
            Row(f"alert: latency Kafka->webhook p50 at {RATE} items/s", p50, "ms", 50, "<=")
        )
        rows.append(
            Row(f"alert: latency Kafka->webhook p99 at {RATE} items/s", p99, "ms", 250, "<=")
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return rows


def bench_alerter(bootstrap: str, redis_url: str) -> list[Row]:
    ctx = multiprocessing.get_context("fork")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    seen: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    proc = ctx.Process(target=_receive, args=(ports, seen), daemon=True)
    proc.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=60)}"
        return asyncio.run(_run(bootstrap, redis_url, url, seen))
    finally:
        proc.terminate()
        proc.join(5)
