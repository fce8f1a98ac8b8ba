"""The classifier process outlives a stop of its Kafka (a private broker of this module's own),
says so in a few lines, and classifies what is produced after the broker is back."""

import asyncio

import pytest

from newswatch.classifier.rules import load_default_tags
from newswatch.shared.contracts import ClassifiedItem
from newswatch.shared.kafka import create_producer, ensure_topics
from newswatch.shared.settings import CommonSettings
from tests.factories import news_item
from tests.integration.helpers import read_topic
from tests.integration.service_process import MOST_LINES, ServiceProcess, outage

pytestmark = [pytest.mark.kafka]


async def produce(settings: CommonSettings, *numbers: int) -> None:
    producer = create_producer(settings, "test-outage")
    await producer.start()
    try:
        for n in numbers:
            item = news_item(n, title=f"Missile strike hits Odesa port, report {n}")
            await producer.send_and_wait(settings.topics.items, item.to_json_bytes(), key=b"%d" % n)
    finally:
        await producer.stop()


async def classified_ids(settings: CommonSettings, expect: int) -> set[str]:
    records = await read_topic(
        settings.kafka_bootstrap_servers, settings.topics.classified, expect=expect, within=90
    )
    return {ClassifiedItem.model_validate_json(r.value).item.id for r in records}


async def test_the_classifier_outlives_a_kafka_stop_and_classifies_what_comes_after(
    private_kafka, server_env, tmp_path
):
    env = {**server_env, "KAFKA_BOOTSTRAP_SERVERS": private_kafka.bootstrap}
    settings = CommonSettings(**env)
    await ensure_topics(settings, settings.topics.pipeline([t.tag for t in load_default_tags()]))
    classifier = ServiceProcess("classifier", env, tmp_path / "classifier.log").start()
    try:
        await produce(settings, 1)
        assert await classified_ids(settings, 1) == {f"{1:032x}"}, classifier.tail()

        lines = await outage(classifier, private_kafka.stop, noticed="Unable connect to node")
        assert len(lines) < MOST_LINES, "\n".join(lines)
        await asyncio.to_thread(private_kafka.start)
        await produce(settings, 2, 3)

        ids = await classified_ids(settings, 3)
        assert ids >= {f"{n:032x}" for n in (1, 2, 3)}, classifier.tail()
        assert classifier.alive()
    finally:
        classifier.stop()


async def test_a_worker_whose_kafka_is_gone_still_stops_on_sigterm(
    private_kafka, server_env, tmp_path
):
    """faust's shutdown waited minutes on sends that could not complete; the worker now exits
    within NEWSWATCH_CLASSIFIER_SHUTDOWN_SECONDS (5 s here) of the signal."""
    env = {
        **server_env,
        "KAFKA_BOOTSTRAP_SERVERS": private_kafka.bootstrap,
        "NEWSWATCH_CLASSIFIER_SHUTDOWN_SECONDS": "5",
    }
    settings = CommonSettings(**env)
    await ensure_topics(settings, settings.topics.pipeline([t.tag for t in load_default_tags()]))
    classifier = ServiceProcess("classifier", env, tmp_path / "classifier.log").start()
    try:
        await produce(settings, 7)  # the worker's own signal that it runs: an item through it
        assert await classified_ids(settings, 1) == {f"{7:032x}"}, classifier.tail()
        await outage(classifier, private_kafka.stop, noticed="Unable connect to node")
        loop = asyncio.get_running_loop()
        signalled = loop.time()
        exit_code = await asyncio.to_thread(classifier.terminate, 60)
        waited = loop.time() - signalled
        assert exit_code is not None, f"still running 60 s after SIGTERM\n{classifier.tail()}"
        assert waited < 30, f"exited only after {waited:.0f} s\n{classifier.tail()}"
    finally:
        classifier.stop()
        await asyncio.to_thread(private_kafka.start)
