"""A classifier worker killed mid-stream (SIGKILL) loses nothing: the next worker of its group
classifies every item the first one did not confirm, on a real broker.

The stream buffer is cut to 16 records, so the worker's fetch loop keeps finding it full and
takes the eager hand-over's waiting path (services/classifier/eager.py) thousands of times.
"""

import asyncio
import signal
import subprocess
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from newswatch.classifier.rules import load_default_tags
from newswatch.shared.contracts import ClassifiedItem
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.settings import CommonSettings
from tests.factories import news_item
from tests.integration.classifier_process import start_classifier, stop_classifier
from tests.integration.helpers import log_tail, read_topic, until_committed_to_end

pytestmark = [pytest.mark.kafka]
ITEMS = 6_000
PARTITIONS = 2
KILL_AFTER = 300  # classified records on the topic before the first worker dies


def _item(n: int) -> bytes:
    if n % 3 == 0:  # a third of the items are strikes: their tag topic is checked too
        title, summary = f"Missile strike on a fuel depot kills {n % 7 + 2}", ""
    else:
        title, summary = f"City council opens harbour festival, day {n}", "Music and boats."
    return news_item(n, title=title, summary=summary).to_json_bytes()


async def test_a_worker_killed_mid_stream_loses_nothing(server_env, tmp_path: Path) -> None:
    settings = CommonSettings(**server_env)
    topics = settings.topics
    await ensure_topics(settings, topics.pipeline([t.tag for t in load_default_tags()]), PARTITIONS)
    bootstrap = settings.kafka_bootstrap_servers
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        sends = [
            await producer.send(topics.items, _item(n), key=f"{n:032x}".encode())
            for n in range(ITEMS)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()

    env = {**server_env, "STREAM_BUFFER_MAXSIZE": "16"}  # faust's own setting, from the env
    first = start_classifier(env, tmp_path / "first.log")
    try:
        seen = await _until_on_topic(bootstrap, topics.classified, KILL_AFTER, first)
        first.send_signal(signal.SIGKILL)  # no shutdown: nothing is flushed or committed
        assert first.wait(10) == -signal.SIGKILL
    finally:
        stop_classifier(first)
    assert seen < ITEMS, f"the first worker finished ({seen}) before it was killed: raise ITEMS"

    log = tmp_path / "second.log"
    second = start_classifier(env, log)
    try:
        # The positive signal: the group committed every item's offset, so all it sent is
        # confirmed; only then is the absence of any item meaningful.
        group = f"{settings.topic_prefix}-classifier"
        await until_committed_to_end(
            bootstrap, group, topics.items, PARTITIONS, within=120, explain=lambda: log_tail(log)
        )
    finally:
        stop_classifier(second)

    classified = await read_topic(bootstrap, topics.classified, expect=2 * ITEMS, within=5)
    ids = {ClassifiedItem.model_validate_json(r.value).item.id for r in classified}
    assert ids == {f"{n:032x}" for n in range(ITEMS)}, f"{ITEMS - len(ids)} items lost"
    strikes = await read_topic(bootstrap, topics.tag("strike"), expect=ITEMS, within=5)
    struck = {ClassifiedItem.model_validate_json(r.value).item.id for r in strikes}
    assert struck == {f"{n:032x}" for n in range(0, ITEMS, 3)}


async def _until_on_topic(bootstrap: str, topic: str, count: int, worker: subprocess.Popen) -> int:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        for _ in range(900):
            seen = sum((await reader.end_offsets(partitions)).values())
            if seen >= count:
                return seen
            assert worker.poll() is None, "the first worker exited on its own"
            await asyncio.sleep(0.1)
        raise AssertionError(f"{topic}: fewer than {count} records after 90 s")
    finally:
        await reader.stop()
