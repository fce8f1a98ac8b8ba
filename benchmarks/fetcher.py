"""The fetcher at scale: 2,000 feeds on a local server, real Kafka and Redis.

The 2,000 feeds serve the real feed documents of ../shared/feeds/real in turn (57 of them,
mean 38 entries and 166 KB, most of them read by feedparser): what production parses. A
feed that "changes" sends its document again, one byte longer and with a new ETag, its
entries already seen, as most of a changed feed's are. Where ../shared is absent they are
synthetic 50-entry RSS documents with 300-character summaries, and the rows say so.
The feed server runs in a process of its own (the other core), so what is measured is the
fetcher: one process, one event loop. Kafka and Redis come from KAFKA_BOOTSTRAP_SERVERS /
REDIS_URL, or are started through deploy/local/ on bench ports and stopped afterwards.
"""

import asyncio
import contextlib
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.measure import SUMMARY, TITLES, Row, real_feed_documents
from newswatch.demo.feed import Story, render_rss

ROOT = Path(__file__).resolve().parent.parent
FEEDS, ENTRIES, SMALL_FEEDS = 2000, 50, 8000
BENCH_PORTS = {"KAFKA_PORT": "49092", "KAFKA_CONTROLLER_PORT": "49093", "REDIS_PORT": "46379"}


REAL_DOCUMENTS = [body for _, body in real_feed_documents()]
FED = (
    f"{len(REAL_DOCUMENTS)} real feed documents in turn"
    if REAL_DOCUMENTS
    else f"synthetic {ENTRIES}-entry RSS"
)


def _render(n: int, version: int) -> bytes:
    if n < FEEDS and REAL_DOCUMENTS:
        # A new version differs in trailing whitespace: the fetcher parses it again (an
        # identical body would be skipped by its hash), and finds its entries already seen.
        return REAL_DOCUMENTS[n % len(REAL_DOCUMENTS)] + b"\n" * version
    now = datetime(2025, 9, 2, tzinfo=UTC)
    entries = ENTRIES if n < FEEDS else 1
    items = [
        (
            f"f{n}-v{version}-e{e}",
            Story(f"{TITLES[e % len(TITLES)]} ({n}/{version}/{e})", SUMMARY),
            now,
        )
        for e in range(entries)
    ]
    return render_rss(f"Feed {n}", "http://bench.example", items)


def _serve(port_out: "multiprocessing.Queue[int]", versions: "multiprocessing.Array") -> None:  # type: ignore[type-arg]
    """A keep-alive HTTP/1.1 server on asyncio streams, fast enough not to be what is measured."""
    cache: dict[tuple[int, int], bytes] = {}

    def response(path: bytes, etag_sent: bytes | None) -> bytes:
        n = int(path.strip(b"/").split(b".")[0][1:])
        version = versions[n]
        etag = f'"{n}-{version}"'.encode()
        if etag_sent == etag:
            return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\nContent-Length: 0\r\n\r\n"
        body = cache.get((n, version))
        if body is None:
            body = cache[(n, version)] = _render(n, version)
        return (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nETag: "
            + etag
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1]
                etag = next(
                    (
                        ln.split(b":", 1)[1].strip()
                        for ln in lines[1:]
                        if ln.lower().startswith(b"if-none-match:")
                    ),
                    None,
                )
                writer.write(response(path, etag))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        for n in range(FEEDS):  # rendered before the clock starts
            cache[(n, 0)] = _render(n, 0)
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_out.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


@contextlib.contextmanager
def feed_server() -> Iterator[tuple[str, "multiprocessing.Array"]]:  # type: ignore[type-arg]
    ctx = multiprocessing.get_context("fork")
    versions = ctx.Array("i", FEEDS + SMALL_FEEDS, lock=False)
    ports: multiprocessing.Queue[int] = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(ports, versions), daemon=True)
    proc.start()
    try:
        yield f"http://127.0.0.1:{ports.get(timeout=120)}", versions
    finally:
        proc.terminate()
        proc.join(5)


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str] | None]:
    """Kafka and Redis for the benchmarks: the environment's, else private ones started on a
    fresh data directory (every run's topics would otherwise pile up there)."""
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS") and os.environ.get("REDIS_URL"):
        yield os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["REDIS_URL"]
        return
    run_dir = ROOT / ".run" / "bench"
    env = {**os.environ, **BENCH_PORTS, "NEWSWATCH_RUN_DIR": str(run_dir)}
    scripts = [ROOT / "deploy/local/kafka.sh", ROOT / "deploy/local/redis.sh"]
    for script in scripts:  # a broker left over from an interrupted run would hold the data
        subprocess.run([str(script), "stop"], env=env, capture_output=True)
    shutil.rmtree(run_dir, ignore_errors=True)
    started = [
        subprocess.run([str(s), "start"], env=env, capture_output=True, text=True) for s in scripts
    ]
    try:
        failed = [s for s in started if s.returncode]
        for run in failed:  # the table says "skipped"; this says why
            print(f"{' '.join(run.args)}: {run.stderr.strip()[-2000:]}", file=sys.stderr)
        yield (
            None
            if failed
            else (
                f"127.0.0.1:{BENCH_PORTS['KAFKA_PORT']}",
                f"redis://127.0.0.1:{BENCH_PORTS['REDIS_PORT']}/0",
            )
        )
    finally:
        for script in reversed(scripts):
            subprocess.run([str(script), "stop"], env=env, capture_output=True)


async def _cycles(bootstrap: str, redis_url: str, base: str, versions) -> list[Row]:  # type: ignore[no-untyped-def]
    from newswatch.fetcher.feeds import FeedSpec
    from newswatch.fetcher.http import build_client
    from newswatch.fetcher.main import build_fetcher
    from newswatch.fetcher.registry import FeedRegistry
    from newswatch.fetcher.settings import FetcherSettings
    from newswatch.shared.kafka import create_producer, ensure_topics
    from newswatch.shared.redis import create_redis

    # One host stands for two thousand publishers here, so the per-host limit is lifted.
    settings = FetcherSettings(
        kafka_bootstrap_servers=bootstrap,
        redis_url=redis_url,
        topic_prefix=f"bench-{uuid.uuid4().hex[:8]}",
        concurrency=100,
        per_host_concurrency=100,
        read_timeout_seconds=30,
    )
    await ensure_topics(settings, [settings.topics.items])
    redis = create_redis(settings)
    registry = FeedRegistry(redis, settings.redis_prefix)
    big = [FeedSpec(url=f"{base}/f{n}.xml") for n in range(FEEDS)]
    producer = create_producer(settings, "bench")
    await producer.start()
    rows: list[Row] = []
    try:
        async with build_client(settings) as client:
            fetcher = build_fetcher(settings, redis, producer, client, shared=False)
            await registry.add_missing(big)

            async def cycle() -> tuple[float, float]:
                wall, cpu = time.perf_counter(), time.process_time()
                await fetcher.run_once()
                return time.perf_counter() - wall, time.process_time() - cpu

            first_wall, _ = await cycle()
            rows.append(
                Row(
                    f"fetch: first cycle, {FEEDS} feeds ({FED}), all new: seconds",
                    first_wall,
                    "s",
                )
            )
            unchanged_wall, unchanged_cpu = await cycle()
            rows.append(
                Row(f"fetch: cycle, {FEEDS} feeds, none changed: seconds", unchanged_wall, "s")
            )
            rows.append(
                Row(
                    "fetch: CPU per unchanged feed (304)",
                    unchanged_cpu / FEEDS * 1000,
                    "ms",
                    0.5,
                    "<=",
                )
            )
            for n in range(0, FEEDS, 20):  # 5% of the feeds publish a new version
                versions[n] += 1
            changed_wall, changed_cpu = await cycle()
            rows.append(
                Row(
                    f"fetch: full cycle, {FEEDS} feeds, 5% changed (re-sent): seconds",
                    changed_wall,
                    "s",
                    10,
                    "<=",
                )
            )
            rows.append(Row("fetch: that cycle's CPU seconds (one core)", changed_cpu, "s"))
            await registry.add_missing(
                [FeedSpec(url=f"{base}/f{n}.xml") for n in range(FEEDS, FEEDS + SMALL_FEEDS)]
            )
            await cycle()
            rows.append(
                Row(
                    f"fetch: peak RSS, {FEEDS + SMALL_FEEDS} feeds registered",
                    resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    "MB",
                    250,
                    "<=",
                )
            )
    finally:
        await producer.stop()
        await redis.aclose()
    return rows


def bench_fetcher(bootstrap: str, redis_url: str) -> list[Row]:
    with feed_server() as (base, versions):
        return asyncio.run(_cycles(bootstrap, redis_url, base, versions))
