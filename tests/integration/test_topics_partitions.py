"""`newswatch topics create --partitions N`: new topics get N, existing ones grow to N, none
shrinks (Kafka cannot take partitions away); a running worker takes the new partitions."""

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from newswatch.classifier.rules import load_default_tags
from newswatch.shared.contracts import ClassifiedItem
from newswatch.shared.kafka import ensure_topics, grow_partitions
from newswatch.shared.settings import CommonSettings
from tests.factories import news_item
from tests.integration.classifier_process import start_classifier, stop_classifier
from tests.integration.helpers import log_tail, read_topic
from tests.integration.image_user import ROOT

pytestmark = pytest.mark.kafka


def _topics_create(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "newswatch.cli", "topics", "create", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


async def _partitions(bootstrap: str, prefix: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        mine = [t for t in await admin.list_topics() if t.startswith(f"{prefix}.")]
        return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics(mine)}
    finally:
        await admin.close()


async def test_partitions_are_set_grown_and_never_shrunk(
    server_env: dict[str, str], kafka_bootstrap: str, prefix: str
) -> None:
    # items, classified, stories, deliveries, feedback, one per built-in tag (4), and the
    # dead-letter topics of items, classified and deliveries
    pipeline_topics = 12
    first = _topics_create(server_env, "--partitions", "3")
    assert f"created {pipeline_topics} topic(s)" in first
    created = await _partitions(kafka_bootstrap, prefix)
    assert len(created) == pipeline_topics
    assert set(created.values()) == {3}

    grown = _topics_create(server_env, "--partitions", "5")
    assert grown.count("grew ") == pipeline_topics
    assert f"grew {prefix}.items.v1 from 3 to 5 partitions" in grown
    assert set((await _partitions(kafka_bootstrap, prefix)).values()) == {5}

    kept = _topics_create(server_env, "--partitions", "2")
    assert "grew " not in kept
    assert set((await _partitions(kafka_bootstrap, prefix)).values()) == {5}


async def test_a_running_worker_takes_a_partition_added_to_its_topic(
    server_env: dict[str, str], tmp_path: Path
) -> None:
    """Grown while a classifier worker runs, the items topic's new partition is read within
    the metadata refresh (5 s here; 30 s by default), not Kafka's five minutes."""
    settings = CommonSettings(**server_env)
    topics = settings.topics
    await ensure_topics(settings, topics.pipeline([t.tag for t in load_default_tags()]), 1)
    env = {**server_env, "NEWSWATCH_KAFKA_METADATA_MAX_AGE_SECONDS": "5"}
    log = tmp_path / "worker.log"
    worker = start_classifier(env, log)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        # First the worker's own signal that it reads the topic: an item through partition 0.
        await producer.send_and_wait(topics.items, _item(0), partition=0)
        await _classified(settings, {"0" * 32}, within=120, explain=lambda: log_tail(log))
        grown = await grow_partitions(settings, [topics.items], 2)
        assert grown == {topics.items: 1}
        await producer.client.force_metadata_update()  # the test's producer, not the worker
        await producer.send_and_wait(topics.items, _item(1), partition=1)
        await _classified(
            settings, {"0" * 32, f"{1:032x}"}, within=60, explain=lambda: log_tail(log)
        )
    finally:
        await producer.stop()
        stop_classifier(worker)


def _item(n: int) -> bytes:
    return news_item(n, title=f"Harbour festival opens, day {n}").to_json_bytes()


async def _classified(
    settings: CommonSettings, ids: set[str], *, within: float, explain: Callable[[], str]
) -> None:
    records = await read_topic(
        settings.kafka_bootstrap_servers, settings.topics.classified, expect=len(ids), within=within
    )
    found = {ClassifiedItem.model_validate_json(r.value).item.id for r in records}
    assert found == ids, f"classified {sorted(found)}, expected {sorted(ids)}\n{explain()}"
