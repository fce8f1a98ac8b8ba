"""`newswatch topics create --partitions N`: new topics get N, existing ones grow to N, none
shrinks (Kafka cannot take partitions away)."""

import os
import subprocess
import sys

import pytest
from aiokafka.admin import AIOKafkaAdminClient

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
