"""Small helpers for tests that talk to real servers: waiting, reading topics, running a fetcher."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition


async def read_topic(bootstrap: str, topic: str, *, expect: int, within: float = 30.0) -> list:
    """Read a topic from the beginning until ``expect`` records arrived or the time ran out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while len(records) < expect and loop.time() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for messages in batch.values():
                records.extend(messages)
    finally:
        await consumer.stop()
    return records


def log_tail(log: Path, chars: int = 4000) -> str:
    """The end of a service's log, for an assertion's message ("" before it exists)."""
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


async def until_committed_to_end(
    bootstrap: str,
    group: str,
    topic: str,
    partitions: int,
    *,
    within: float = 60.0,
    explain: Callable[[], str] = lambda: "",
) -> None:
    """Wait until ``group`` committed the end offset of each of ``topic``'s first
    ``partitions``: the positive signal that everything it consumed there was handled."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await reader.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        ends = await reader.end_offsets(tps)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (committed := {tp: await reader.committed(tp) for tp in tps}) != ends:
            assert loop.time() < deadline, (
                f"committed {committed}, the ends are {ends}\n{explain()}"
            )
            await asyncio.sleep(0.2)
    finally:
        await reader.stop()


async def until(
    condition: Callable[[], object], within: float = 30.0, explain: Callable[[], str] = lambda: ""
) -> None:
    """Wait until ``condition()`` is true; fail after ``within`` seconds, saying ``explain()``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        assert loop.time() < deadline, f"timed out after {within}s\n{explain()}"
        await asyncio.sleep(0.1)


def start_fetcher_process(server_env: dict[str, str], **settings: str) -> subprocess.Popen:
    """`newswatch fetcher` as its own process, on the registry only (no feeds file)."""
    env = {
        **os.environ,
        **server_env,
        "NEWSWATCH_FETCHER_FEEDS_FILE": "/nonexistent",
        "NEWSWATCH_FETCHER_MIN_INTERVAL_SECONDS": "1",
        **{f"NEWSWATCH_FETCHER_{k.upper()}": v for k, v in settings.items()},
    }
    return subprocess.Popen(
        [sys.executable, "-m", "newswatch.cli", "fetcher"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
