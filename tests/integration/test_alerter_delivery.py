"""The alerter against real Kafka, Redis, a webhook receiver and an SMTP server."""

import asyncio
import json

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from newswatch.alerter.channels import build_channels
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.service import Alerter
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.demo.receivers import HttpServer, Response, SmtpSink
from newswatch.shared.contracts import ChannelTarget, DeadLetter, Delivery, Subscription
from newswatch.shared.kafka import create_producer, ensure_topics
from newswatch.shared.redis import create_redis
from tests.factories import classified
from tests.integration.helpers import read_topic, until

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


@pytest.fixture
def receiver():
    server = HttpServer().start()
    server.routes["/hook"] = lambda _: Response(200, b"ok")
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


class RunningAlerter:
    """An Alerter with real adapters, run in the background like the service does."""

    def __init__(self, settings: AlerterSettings, kafka_bootstrap: str) -> None:
        self.settings = settings
        self.bootstrap = kafka_bootstrap

    async def __aenter__(self) -> "RunningAlerter":
        s = self.settings
        await ensure_topics(s, s.topics.pipeline(["strike"]))
        self.redis = create_redis(s)
        self.producer = create_producer(s, "test-alerter")
        self.consumer = AIOKafkaConsumer(
            s.topics.classified,
            bootstrap_servers=self.bootstrap,
            group_id=s.consumer_group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self.producer.start()
        await self.consumer.start()
        self.client = httpx.AsyncClient(timeout=2.0)
        self.store = SubscriptionStore(self.redis, s.redis_prefix)
        self.ledger = DeliveryLedger(self.redis, s.redis_prefix)
        self.alerter = Alerter(
            s, self.consumer, self.producer, self.store, self.ledger, build_channels(s, self.client)
        )
        self.task: asyncio.Task | None = None
        return self

    def start(self) -> None:
        self.task = asyncio.create_task(self.alerter.run())

    async def __aexit__(self, *exc: object) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.consumer.stop()
        await self.producer.stop()
        await self.client.aclose()
        await self.redis.aclose()


async def publish(settings: AlerterSettings, *values: bytes) -> None:
    producer = create_producer(settings, "test-classifier")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(settings.topics.classified, value, key=b"k")
    finally:
        await producer.stop()


def alerter_settings(smtp: SmtpSink, **extra) -> AlerterSettings:
    return AlerterSettings(
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        backoff_base_seconds=0.05,
        backoff_max_seconds=0.2,
        **extra,
    )


async def test_each_destination_gets_one_alert_even_when_the_item_is_replayed_after_a_restart(
    env_settings, kafka_bootstrap, receiver, smtp
):
    settings = alerter_settings(smtp)
    item = classified(1)
    async with RunningAlerter(settings, kafka_bootstrap) as running:
        await running.store.save(
            Subscription(
                id="ops",
                team="ops",
                tags=["strike"],
                channels=[
                    ChannelTarget(kind="webhook", target=f"{receiver.url}/hook"),
                    ChannelTarget(kind="email", target="ops@example.org"),
                ],
            )
        )
        await publish(settings, item.to_json_bytes(), item.to_json_bytes())  # a duplicate upstream
        running.start()
        await until(lambda: len(receiver.received("/hook")) >= 1 and len(smtp.messages) >= 1)
        await asyncio.sleep(1.5)
    # A restarted alerter (new consumer, same group) and the same story once more.
    await publish(settings, item.to_json_bytes())
    async with RunningAlerter(settings, kafka_bootstrap) as running:
        running.start()
        await asyncio.sleep(3.0)
        deliveries = await running.ledger.recent("ops")
    assert len(receiver.received("/hook")) == 1
    assert len(smtp.messages) == 1
    assert sorted(d.channel for d in deliveries) == ["email", "webhook"]
    assert all(d.status == "delivered" and len(d.attempts) == 1 for d in deliveries)
    body = json.loads(receiver.received("/hook")[0].body)
    assert body["classified"]["item"]["id"] == item.item.id and body["tags"] == ["strike"]
    message, recipients = smtp.messages[0]
    assert (
        recipients == ["ops@example.org"] and "Missile strike hits Odesa port" in message["Subject"]
    )


async def test_a_receiver_failing_then_recovering_gets_the_alert_exactly_once(
    env_settings, kafka_bootstrap, receiver, smtp
):
    answers = iter(
        [Response(500, b"down"), Response(429, b"slow", {"Retry-After": "0"}), Response(200, b"ok")]
    )
    receiver.routes["/flaky"] = lambda _: next(answers)
    settings = alerter_settings(smtp)
    async with RunningAlerter(settings, kafka_bootstrap) as running:
        await running.store.save(
            Subscription(
                id="flaky",
                tags=["strike"],
                channels=[ChannelTarget(kind="webhook", target=f"{receiver.url}/flaky")],
            )
        )
        await publish(settings, classified(2).to_json_bytes())
        running.start()
        await until(lambda: len(receiver.received("/flaky")) == 3)
        await asyncio.sleep(1.0)
        (delivery,) = await running.ledger.recent("flaky")
    assert delivery.status == "delivered"
    assert [a.status_code for a in delivery.attempts] == [500, 429, None]
    assert len(receiver.received("/flaky")) == 3
    records = await read_topic(kafka_bootstrap, settings.topics.deliveries, expect=1)
    assert Delivery.model_validate_json(records[0].value).id == delivery.id


async def test_a_permanent_failure_and_a_poison_message_are_dead_lettered_with_reasons(
    env_settings, kafka_bootstrap, receiver, smtp
):
    receiver.routes["/gone"] = lambda _: Response(404, b"no such hook")
    settings = alerter_settings(smtp)
    async with RunningAlerter(settings, kafka_bootstrap) as running:
        await running.store.save(
            Subscription(
                id="gone",
                tags=["strike"],
                channels=[ChannelTarget(kind="webhook", target=f"{receiver.url}/gone")],
            )
        )
        await publish(settings, b"{not json", classified(3).to_json_bytes())
        running.start()
        failed = await read_topic(
            kafka_bootstrap, settings.topics.dead_letter("deliveries"), expect=1
        )
        poison = await read_topic(
            kafka_bootstrap, settings.topics.dead_letter("classified"), expect=1
        )
    letter = DeadLetter.model_validate_json(failed[0].value)
    assert letter.error_kind == "delivery_failed" and "HTTP 404" in letter.error
    assert Delivery.model_validate_json(letter.payload).status == "failed"
    assert len(receiver.received("/gone")) == 1, "a 404 is not retried"
    bad = DeadLetter.model_validate_json(poison[0].value)
    assert bad.error_kind == "invalid_classified_item" and bad.payload == "{not json"
