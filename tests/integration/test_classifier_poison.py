"""Poison records never block the classifier and are never lost: a real faust worker process
on real Kafka, a poison record followed by good items on the same partition."""

import hashlib
import random
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from newswatch.classifier.rules import load_default_tags
from newswatch.shared.contracts import ClassifiedItem, DeadLetter
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.settings import CommonSettings
from tests.factories import news_item
from tests.integration.classifier_process import start_classifier, stop_classifier
from tests.integration.helpers import log_tail, read_topic, until_committed_to_end

pytestmark = [pytest.mark.kafka]
GOOD = 20
KAFKA_LIMIT = 1_048_576  # producers' default max request size; the broker's is about the same


async def run_poison_case(
    server_env: dict[str, str], tmp_path: Path, poison: bytes, explode_on: str | None = None
) -> tuple[DeadLetter, int, list[ClassifiedItem]]:
    """Send ``poison`` then GOOD items to partition 0, run a classifier, and return the one dead
    letter, the poison's offset and the classified items, once the worker committed them all."""
    settings = CommonSettings(**server_env)
    topics = settings.topics
    tags = [t.tag for t in load_default_tags()]
    await ensure_topics(settings, topics.pipeline(tags))
    bootstrap = settings.kafka_bootstrap_servers
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * KAFKA_LIMIT)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topics.items, poison, key=b"poison", partition=0)
        for n in range(1, GOOD + 1):
            value = news_item(n, title=f"Harbour festival opens, day {n}").to_json_bytes()
            await producer.send_and_wait(topics.items, value, key=f"{n:032x}".encode(), partition=0)
    finally:
        await producer.stop()
    log = tmp_path / "classifier.log"
    worker = start_classifier(server_env, log, explode_on=explode_on)
    try:
        classified = await read_topic(bootstrap, topics.classified, expect=GOOD, within=90)
        assert len(classified) == GOOD, f"good items stuck behind the poison\n{log_tail(log)}"
        # The positive signal before counting dead letters: the worker committed the
        # offset past the last good item, so everything it sent is confirmed.
        group = f"{settings.topic_prefix}-classifier"
        await until_committed_to_end(
            bootstrap, group, topics.items, 1, explain=lambda: log_tail(log)
        )
        letters = await read_topic(bootstrap, topics.dead_letter("items"), expect=2, within=3)
    finally:
        stop_classifier(worker)
    assert len(letters) == 1, f"{len(letters)} dead letters\n{log_tail(log)}"
    (letter,) = letters
    assert letter.key == b"poison" and len(letter.value) < 1_000_000
    items = [ClassifiedItem.model_validate_json(r.value) for r in classified]
    return DeadLetter.model_validate_json(letter.value), sent.offset, items


async def test_a_900_kb_binary_record_is_dead_lettered_and_the_items_behind_it_flow(
    server_env, tmp_path
):
    poison = random.Random(900).randbytes(900_000)
    letter, offset, items = await run_poison_case(server_env, tmp_path, poison)
    assert_describes(letter, poison, offset, server_env)
    assert letter.error_kind == "invalid_json" and letter.payload_truncated
    assert sorted(i.item.id for i in items) == [f"{n:032x}" for n in range(1, GOOD + 1)]


async def test_an_item_the_classifier_raises_on_is_dead_lettered_and_the_items_behind_flow(
    server_env, tmp_path
):
    poison = news_item(999, title="EXPLODE here, please").to_json_bytes()
    letter, offset, items = await run_poison_case(server_env, tmp_path, poison, "EXPLODE")
    assert_describes(letter, poison, offset, server_env)
    assert letter.error_kind == "classifier_error" and "test rule exploded" in letter.error
    assert letter.payload == poison.decode() and not letter.payload_truncated
    assert sorted(i.item.id for i in items) == [f"{n:032x}" for n in range(1, GOOD + 1)]


async def test_an_item_whose_classified_record_kafka_refuses_is_dead_lettered(server_env, tmp_path):
    # Just under Kafka's limit going in; the classified record around it is over it, so every
    # send of the output fails (RecordTooLarge) however often it is retried.
    filler = KAFKA_LIMIT - 900
    base = news_item(998, title="A very long bulletin", summary="")
    poison = base.model_copy(update={"summary": "calm " * (filler // 5)}).to_json_bytes()
    assert KAFKA_LIMIT - 1_000 < len(poison) < KAFKA_LIMIT - 100
    letter, offset, items = await run_poison_case(server_env, tmp_path, poison)
    assert_describes(letter, poison, offset, server_env)
    assert letter.error_kind == "publish_failed" and letter.payload_truncated
    assert sorted(i.item.id for i in items) == [f"{n:032x}" for n in range(1, GOOD + 1)]


def assert_describes(letter: DeadLetter, poison: bytes, offset: int, env: dict[str, str]) -> None:
    assert letter.service == "classifier"
    assert letter.source_topic == f"{env['NEWSWATCH_TOPIC_PREFIX']}.items.v1"
    assert (letter.partition, letter.offset) == (0, offset)
    assert letter.payload_bytes == len(poison)
    assert letter.payload_sha256 == hashlib.sha256(poison).hexdigest()
