"""The faust-streaming app: a thin loop around the pure classifier and router."""

import logging

import faust

from newswatch.classifier.classify import Classifier
from newswatch.classifier.routing import route_item
from newswatch.classifier.settings import ClassifierSettings
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.classifier")


def create_app(settings: ClassifierSettings, classifier: Classifier) -> faust.App:
    topics = settings.topics
    app = faust.App(
        settings.app_id,
        broker=[f"kafka://{h.strip()}" for h in settings.kafka_bootstrap_servers.split(",")],
        store="memory://",
        web_enabled=False,
        # Our topics are created up front (newswatch topics create); faust creates none.
        topic_allow_declare=False,
        topic_disable_leader=True,
        processing_guarantee="at_least_once",
        broker_commit_interval=1.0,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        key_serializer="raw",
        value_serializer="raw",
    )
    counters = Counters()
    items = app.topic(topics.items, key_serializer="raw", value_serializer="raw")
    outputs = {
        name: app.topic(name, key_serializer="raw", value_serializer="raw")
        for name in (topics.classified, *(topics.tag(t) for t in classifier.tags))
    }
    dead_letters = app.topic(
        topics.dead_letter("items"), key_serializer="raw", value_serializer="raw"
    )

    @app.agent(items, name="classify-items")
    async def classify_items(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = event.message
            routed = route_item(
                message.value,
                classifier,
                topics,
                source_topic=message.topic,
                partition=message.partition,
                offset=message.offset,
            )
            if routed.dead_letter is not None:
                counters.inc(f"dead_lettered.{routed.dead_letter.error_kind}")
                log.warning(
                    "dead-lettering %s[%s]@%s: %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    routed.dead_letter.error,
                )
                await dead_letters.send(key=message.key, value=routed.dead_letter.to_json_bytes())
                continue
            for out in routed.outgoing:
                await outputs[out.topic].send(key=out.key, value=out.value)
            counters.inc("classified")
            for tag in routed.tags:
                counters.inc(f"tagged.{tag}")
            if routed.tags:
                log.info(
                    "item %s tagged %s",
                    message.key.decode() if message.key else "?",
                    ",".join(routed.tags),
                )

    @app.timer(interval=60.0)
    async def report() -> None:
        log.info("classifier counters: %s", counters.summary())

    return app
