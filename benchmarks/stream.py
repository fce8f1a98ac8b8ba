"""The classifier's stream against a real broker: faust workers beside a bare aiokafka loop.

Three figures from one run on the same real feed items (full summaries): a bare aiokafka
consume-and-produce passthrough (the ceiling a Kafka stage can reach here), one faust
classifier worker (items/s, ratio to the passthrough, peak RSS) and two workers on a
two-partition topic (speed-up over one). Workers run as `newswatch classifier` processes,
twice each: draining the items from a backlog, as the passthrough does (the like-for-like
figures the targets apply to), and with the items produced once their group is stable, so
that they arrive while the workers run (this benchmark's producer then shares the cores).
Rates are measured between the first and last classified record's Kafka timestamps. Rows
also give the cores the workers got and the load average: few cores busy means other work
held the CPU. Where the bench started the broker itself, the two-worker drain also gives
the broker's cores: on a two-core host the broker's share bounds what a second worker adds.
A faust agent that only consumes and acknowledges gives faust's own ceiling, once with its
fetch loop and once with the eager one the worker uses (services/classifier/eager.py).
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import NamedTuple

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from benchmarks.measure import REAL_FEEDS, Row, real_feeds
from newswatch.classifier.rules import load_default_tags
from newswatch.shared.kafka import create_producer, ensure_topics
from newswatch.shared.settings import CommonSettings

ITEMS = 20_000
BENCH_RUN_DIR = Path(__file__).resolve().parent.parent / ".run" / "bench"  # as ``servers`` starts
PARTITIONS = 2


def real_items(count: int = ITEMS) -> list[tuple[bytes, bytes]] | None:
    """``count`` (key, NewsItem JSON) pairs cycling through the real feeds' entries, each with
    an id of its own; None when ../shared/feeds/real is absent."""
    if not REAL_FEEDS.exists():
        return None
    entries = [item for feed in real_feeds() for item in feed]
    pairs = []
    for n in range(count):
        item = entries[n % len(entries)].model_copy(update={"id": f"{n:032x}"})
        pairs.append((item.id.encode(), item.to_json_bytes()))
    return pairs


def bench_stream(bootstrap: str) -> list[Row]:
    items = real_items()
    if items is None:
        return [Row(f"stream benchmarks skipped: {REAL_FEEDS} is absent", 0, "")]
    try:
        return asyncio.run(_bench(bootstrap, items))
    except RuntimeError as exc:  # a worker died or stalled: say so in the table, go on
        return [Row(f"stream benchmarks failed: {exc}", 0, "")]


async def _bench(bootstrap: str, items: list[tuple[bytes, bytes]]) -> list[Row]:
    routing_us = _routing_cpu_us(items)
    one = await _workers(bootstrap, items, 1)
    one_drain = await _workers(bootstrap, items, 1, backlog=True)
    passthrough, passthrough_us = await _passthrough(bootstrap, one.prefix, len(items))
    two: Run | None = None
    two_drain: Run | None = None
    failure = ""
    try:
        two = await _workers(bootstrap, items, 2)
        two_drain = await _workers(bootstrap, items, 2, backlog=True)
    except RuntimeError as exc:  # the rows of one worker still say something
        failure = str(exc)
    stock, stock_us = _faust_floor(bootstrap, f"{one.prefix}.items.v1", len(items), "stock")
    eager, eager_us = _faust_floor(bootstrap, f"{one.prefix}.items.v1", len(items), "eager")
    one_us = one.cpu_seconds / len(items) * 1e6
    rows = [
        Row(f"bare aiokafka passthrough, {len(items):,} real items", passthrough, "/s"),
        Row("  passthrough: CPU per item", passthrough_us, "us"),
        Row("route (validate, classify, serialise), no Kafka", 1e6 / routing_us, "/s"),
        Row(
            "faust classifier, one worker, draining the backlog: items/s",
            one_drain.rate,
            "/s",
            5_000,
        ),
        Row(
            "  one worker / bare passthrough (both drain it)",
            one_drain.rate / passthrough,
            "x",
            0.3,
        ),
        Row("  one worker draining: cores busy", one_drain.cores, ""),
        Row("  one worker, items arriving while it runs: items/s", one.rate, "/s"),
        Row("  one worker: peak RSS", max(one.peak_mb, one_drain.peak_mb), "MB", 300, "<="),
        Row("  one worker, items arriving: CPU per item", one_us, "us"),
        Row("  of which stream (CPU per item - route)", one_us - routing_us, "us"),
        Row(f"  one worker: load average at the end (of {os.cpu_count()} cores)", one.load, ""),
        Row("faust alone, its own fetch loop: consume and ack, no work", stock, "/s"),
        Row("  faust alone, its own fetch loop: CPU per item", stock_us, "us"),
        Row("faust alone, eager fetch loop (the worker's): consume and ack", eager, "/s"),
        Row("  faust alone, eager fetch loop: CPU per item", eager_us, "us"),
    ]
    return rows + (
        [
            Row(
                "faust classifier, two workers, draining the backlog: items/s", two_drain.rate, "/s"
            ),
            Row(
                "  two workers / one worker (both drain it)",
                two_drain.rate / one_drain.rate,
                "x",
                1.7,
            ),
            Row("  two workers draining: cores busy", two_drain.cores, ""),
            *(
                [Row("  and the broker's cores meanwhile", two_drain.broker_cores, "")]
                if two_drain.broker_cores is not None
                else []
            ),
            Row("  two workers, items arriving while they run: items/s", two.rate, "/s"),
            Row("  two workers / one worker (items arriving)", two.rate / one.rate, "x"),
            Row(
                "  two workers, items arriving: CPU per item (both)",
                two.cpu_seconds / len(items) * 1e6,
                "us",
            ),
            Row("  two workers, items arriving: cores busy", two.cores, ""),
            Row(
                f"  two workers: load average at the end (of {os.cpu_count()} cores)", two.load, ""
            ),
        ]
        if two and two_drain
        else [Row(f"two workers failed: {failure}", 0, "")]
    )


def _routing_cpu_us(items: list[tuple[bytes, bytes]]) -> float:
    """CPU microseconds per item of the pure part of the worker, in this process."""
    from newswatch.classifier.main import load_classifier
    from newswatch.classifier.routing import route_item
    from newswatch.classifier.settings import ClassifierSettings

    settings = ClassifierSettings()
    classifier, topics = load_classifier(settings), settings.topics
    for _, value in items[:200]:  # warm caches, as a running worker has
        route_item(value, classifier, topics, source_topic=topics.items)
    start = time.process_time()
    for _, value in items:
        route_item(value, classifier, topics, source_topic=topics.items)
    return (time.process_time() - start) / len(items) * 1e6


class Run(NamedTuple):
    prefix: str
    rate: float
    cpu_seconds: float
    peak_mb: float
    cores: float  # the workers' CPU seconds per second from producing to the last result
    broker_cores: float | None  # the same for Kafka's broker, when its process is known
    load: float  # the machine's 1-minute load average as the run ended: others' work shows


async def _workers(
    bootstrap: str, items: list[tuple[bytes, bytes]], count: int, *, backlog: bool = False
) -> Run:
    """``count`` workers classify the items, produced once their group is stable: while the
    workers run (the items arrive), or with ``backlog`` while they are paused by SIGSTOP, a
    few seconds inside their session timeout (they drain a backlog, as the passthrough does;
    workers started after producing would join one by one, and the rebalance would count)."""
    settings = _settings(bootstrap)
    tags = [d.tag for d in load_default_tags()]
    await ensure_topics(settings, settings.topics.pipeline(tags), partitions=PARTITIONS)
    group = f"{settings.topic_prefix}-classifier"
    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "NEWSWATCH_TOPIC_PREFIX": settings.topic_prefix,
        "NEWSWATCH_TOPIC_PARTITIONS": str(PARTITIONS),
        "NEWSWATCH_HEALTH_PORT": "0",  # two workers on one host cannot share the port
    }
    folder = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    workers = _start(env, count, folder)
    try:
        await _stable(bootstrap, group, count, workers)
        if backlog:
            for worker in workers:
                worker.send_signal(signal.SIGSTOP)
            try:
                await _produce(settings, items)
            finally:
                for worker in workers:
                    worker.send_signal(signal.SIGCONT)
        broker = _broker_pid()
        broker_before = _cpu_seconds(broker) if broker else 0.0
        cpu_before, started = sum(_cpu_seconds(w.pid) for w in workers), time.perf_counter()
        if not backlog:
            await _produce(settings, items)
        await _drained(bootstrap, settings.topics.classified, len(items), workers)
        cpu = sum(_cpu_seconds(w.pid) for w in workers) - cpu_before
        elapsed = time.perf_counter() - started
        cores = cpu / elapsed
        broker_cores = (_cpu_seconds(broker) - broker_before) / elapsed if broker else None
        load = os.getloadavg()[0]
        peak_kb = max(_peak_rss_kb(w.pid) for w in workers)
        rate = await _rate(bootstrap, settings.topics.classified, len(items))
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} (the workers' logs: {folder})") from exc
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
    shutil.rmtree(folder)  # kept when the run failed: the workers' logs say why
    return Run(settings.topic_prefix, rate, cpu, peak_kb / 1024, cores, broker_cores, load)


def _start(env: dict[str, str], count: int, folder: Path) -> list[subprocess.Popen]:  # type: ignore[type-arg]
    """``count`` workers, each with its log and faust data directory in ``folder``."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", "newswatch.cli", "classifier"],
            env={**env, "NEWSWATCH_CLASSIFIER_DATA_DIR": str(folder / f"worker{n}-data")},
            stdout=(folder / f"worker{n}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for n in range(count)
    ]


def _settings(bootstrap: str) -> CommonSettings:
    return CommonSettings(
        kafka_bootstrap_servers=bootstrap, topic_prefix=f"bench-stream-{uuid.uuid4().hex[:8]}"
    )


async def _stable(bootstrap: str, group: str, members: int, workers: list) -> None:  # type: ignore[type-arg]
    """Wait until the workers' group is stable with every worker in it."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        deadline = time.monotonic() + 120
        while True:
            if any(w.poll() is not None for w in workers):
                raise RuntimeError("a classifier worker exited before its group formed")
            try:
                (response,) = await admin.describe_consumer_groups([group])
            except KafkaError as exc:  # a fresh broker has no group coordinator for a moment
                if not exc.retriable:
                    raise
            else:
                described = response.groups[0]  # (error, id, state, type, protocol, members)
                if described[2] == "Stable" and len(described[5]) == members:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"group {group} not stable with {members} member(s)")
            await asyncio.sleep(0.2)
    finally:
        await admin.close()


async def _produce(settings: CommonSettings, items: list[tuple[bytes, bytes]]) -> None:
    producer = create_producer(settings, "bench-stream")
    await producer.start()
    try:
        futures = [
            await producer.send(settings.topics.items, value, key=key) for key, value in items
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _drained(bootstrap: str, topic: str, expected: int, workers: list) -> None:  # type: ignore[type-arg]
    """Return once ``expected`` records are on ``topic``; raise if a worker died or stalled."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        deadline = time.monotonic() + 300
        while sum((await consumer.end_offsets(partitions)).values()) < expected:
            if any(w.poll() is not None for w in workers) or time.monotonic() > deadline:
                raise RuntimeError(f"{topic}: the workers did not classify {expected} items")
            await asyncio.sleep(0.2)
    finally:
        await consumer.stop()


async def _rate(bootstrap: str, topic: str, expected: int) -> float:
    """Items/s between the first and the last record on ``topic`` (their Kafka timestamps)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        stamps: list[int] = []
        while len(stamps) < expected:
            for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
                stamps += [r.timestamp for r in records]
    finally:
        await consumer.stop()
    return (expected - 1) / max((max(stamps) - min(stamps)) / 1000, 1e-3)


async def _passthrough(bootstrap: str, prefix: str, expected: int) -> tuple[float, float]:
    """A bare aiokafka stage: consume the items, produce each value unchanged, commit."""
    settings = CommonSettings(kafka_bootstrap_servers=bootstrap, topic_prefix=prefix)
    out = f"{prefix}.passthrough.v1"
    await ensure_topics(settings, [out], partitions=PARTITIONS)
    consumer = AIOKafkaConsumer(
        settings.topics.items,
        bootstrap_servers=bootstrap,
        group_id=f"{prefix}-passthrough",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = create_producer(settings, "bench-passthrough")
    await consumer.start()
    await producer.start()
    moved, started, cpu = 0, None, 0.0
    try:
        while moved < expected:
            batch = await consumer.getmany(timeout_ms=1000, max_records=1000)
            if batch and started is None:
                started, cpu = time.perf_counter(), time.process_time()
            futures = [
                await producer.send(out, r.value, key=r.key)
                for records in batch.values()
                for r in records
            ]
            await asyncio.gather(*futures)
            await consumer.commit()
            moved += len(futures)
        elapsed = time.perf_counter() - (started or time.perf_counter())
        cpu = time.process_time() - cpu
    finally:
        await producer.stop()
        await consumer.stop()
    return moved / elapsed, cpu / moved * 1e6


def _faust_floor(bootstrap: str, topic: str, expected: int, consumer: str) -> tuple[float, float]:
    """Items/s and CPU us per item of a faust agent that only consumes and acknowledges, with
    faust's own fetch loop (``stock``) or the classifier's (``eager``)."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.faust_floor", bootstrap, topic, str(expected), consumer],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    # faust draws a spinner on stdout too: the figures follow the last "rate=".
    rate, cpu = done.stdout.rsplit("rate=", 1)[1].split()[:2]
    return float(rate), float(cpu.removeprefix("cpu_us="))


def _broker_pid() -> int | None:
    """The broker the bench started (``servers``), else None: a broker found through the
    environment may be anywhere."""
    try:
        pid = int((BENCH_RUN_DIR / "kafka" / "kafka.pid").read_text().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return pid if b"kafka" in cmdline.read() else None
    except (OSError, ValueError):
        return None


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
