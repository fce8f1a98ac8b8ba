"""Thin aiokafka helpers: the producer every stage uses, and topic creation."""

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from newswatch.shared.settings import CommonSettings

log = logging.getLogger(__name__)


def create_producer(settings: CommonSettings, client_id: str) -> AIOKafkaProducer:
    # Idempotent so a retried send never duplicates a record; a small linger lets
    # gathered sends share a batch without delaying a lone alert noticeably.
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=65536,
        compression_type=None,
    )


async def start_with_retry(client: object, what: str, deadline_s: float = 60.0) -> None:
    """Start an aiokafka client, waiting for a broker that is still booting."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + deadline_s
    while True:
        try:
            await client.start()  # type: ignore[attr-defined]
            return
        except KafkaConnectionError as exc:
            if loop.time() >= give_up:
                raise
            log.warning("%s: Kafka not reachable yet (%s); retrying", what, exc)
            await asyncio.sleep(1.0)


async def ensure_topics(
    settings: CommonSettings, names: Iterable[str], partitions: int | None = None
) -> list[str]:
    """Create the topics that do not exist yet; return the ones created."""
    admin = await _started_admin(settings)
    try:
        existing = set(await admin.list_topics())
        wanted = [n for n in dict.fromkeys(names) if n not in existing]
        if not wanted:
            return []
        new = [
            NewTopic(
                name,
                num_partitions=partitions or settings.topic_partitions,
                replication_factor=settings.topic_replication,
            )
            for name in wanted
        ]
        # Another service may win the race to create a topic; it exists, which is all we need.
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics(new)
        return wanted
    finally:
        await admin.close()


def partitions_to_add(current: dict[str, int], wanted: int) -> dict[str, int]:
    """The topics to grow to ``wanted`` partitions: those with fewer. Never fewer than now:
    Kafka cannot take partitions away (their records would be lost)."""
    return {name: count for name, count in current.items() if count < wanted}


async def grow_partitions(
    settings: CommonSettings, names: Iterable[str], partitions: int
) -> dict[str, int]:
    """Give every named topic with fewer than ``partitions`` that many; return the grown
    topics' previous counts. A key's partition changes with the count, so records of one
    key written before and after may be read out of order once (see docs/operations)."""
    admin = await _started_admin(settings)
    try:
        described = await admin.describe_topics(list(dict.fromkeys(names)))
        current = {t["topic"]: len(t["partitions"]) for t in described if not t["error_code"]}
        grow = partitions_to_add(current, partitions)
        if grow:
            await admin.create_partitions({n: NewPartitions(total_count=partitions) for n in grow})
        return grow
    finally:
        await admin.close()


async def _started_admin(settings: CommonSettings) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, client_id="newswatch-admin"
    )
    await start_with_retry(admin, "admin")
    return admin
