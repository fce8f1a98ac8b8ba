"""The alerter's consumer loop: read classified items, deliver, record, commit.

Offsets are committed only after every delivery of a batch is finished and
recorded; a crash in between replays the batch, and the ledger skips what was
already delivered. Unreadable messages and failed deliveries are dead-lettered.
"""

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from pydantic import ValidationError

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels import Channel
from newswatch.alerter.delivery import deliver
from newswatch.alerter.ledger import DeliveryLedger, delivery_id
from newswatch.alerter.matching import SubscriptionIndex
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.contracts import (
    ChannelTarget,
    ClassifiedItem,
    DeadLetter,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
)
from newswatch.shared.observability import Counters

log = logging.getLogger("newswatch.alerter")


class Alerter:
    def __init__(
        self,
        settings: AlerterSettings,
        consumer: AIOKafkaConsumer,
        producer: AIOKafkaProducer,
        store: SubscriptionStore,
        ledger: DeliveryLedger,
        channels: dict[str, Channel],
        counters: Counters | None = None,
    ) -> None:
        self._settings = settings
        self._consumer = consumer
        self._producer = producer
        self._store = store
        self._ledger = ledger
        self._channels = channels
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._index = SubscriptionIndex()
        self._index_version = -1
        self._checked_at = 0.0
        self.counters = counters or Counters()

    async def refresh_subscriptions(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < self._settings.subscription_refresh_seconds:
            return
        self._checked_at = now
        version = await self._store.version()
        if version != self._index_version:
            self._index = SubscriptionIndex(await self._store.all())
            self._index_version = version
            log.info("alerter: %d active subscription(s) loaded", self._index.size)

    async def run(self) -> None:
        await self.refresh_subscriptions(force=True)
        while True:
            batch = await self._consumer.getmany(timeout_ms=500, max_records=200)
            try:
                await self.refresh_subscriptions()
                if batch:
                    await self._process(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis or Kafka trouble mid-batch: rewind to the last commit and try again.
                self.counters.inc("batch_retried")
                log.exception("alerter: batch failed; replaying from the last committed offsets")
                await asyncio.sleep(2.0)
                for tp in batch:
                    await self._consumer.seek_to_committed(tp)

    async def _process(self, batch: dict[TopicPartition, list[ConsumerRecord]]) -> None:
        await asyncio.gather(*(self._process_partition(records) for records in batch.values()))
        await self._consumer.commit({tp: records[-1].offset + 1 for tp, records in batch.items()})

    async def _process_partition(self, records: list[ConsumerRecord]) -> None:
        # In order within a partition: an item's revisions arrive in the order published.
        for record in records:
            await self.handle(record)

    async def handle(self, record: ConsumerRecord) -> None:
        try:
            item = ClassifiedItem.model_validate_json(record.value or b"")
        except ValidationError as exc:
            await self._dead_letter_message(record, exc)
            return
        planned = [
            (sub, hits, target, delivery_id(sub.id, item.item.id, target.key))
            for sub, hits in self._index.match(item)
            for target in sub.channels
        ]
        if not planned:
            return
        done = await self._ledger.delivered([p[3] for p in planned])
        self.counters.inc("skipped_already_delivered", sum(1 for p in planned if p[3] in done))
        await asyncio.gather(
            *(
                self._deliver(sub, Alert(did, sub.id, item, hits), target)
                for sub, hits, target, did in planned
                if did not in done
            )
        )

    async def _deliver(self, sub: Subscription, alert: Alert, target: ChannelTarget) -> None:
        async with self._slots:
            channel = self._channels.get(target.kind)
            if channel is None:
                delivery = _undeliverable(
                    sub, alert, target, f"no channel plugin named {target.kind!r}"
                )
            else:
                delivery = await deliver(
                    channel,
                    alert,
                    target,
                    team=sub.team,
                    max_attempts=self._settings.max_attempts,
                    backoff_base=self._settings.backoff_base_seconds,
                    backoff_max=self._settings.backoff_max_seconds,
                )
        await self._ledger.record(delivery)
        topics = self._settings.topics
        await self._producer.send_and_wait(
            topics.deliveries, delivery.to_json_bytes(), key=delivery.id.encode()
        )
        self.counters.inc(f"delivery_{delivery.status.value}.{target.kind}")
        if delivery.status is DeliveryStatus.FAILED:
            reason = delivery.attempts[-1].error if delivery.attempts else "no attempt"
            letter = DeadLetter(
                service="alerter",
                source_topic=topics.classified,
                key=delivery.id,
                error_kind="delivery_failed",
                error=f"{len(delivery.attempts)} attempt(s): {reason}",
                payload=delivery.model_dump_json(),
            )
            await self._producer.send_and_wait(
                topics.dead_letter("deliveries"), letter.to_json_bytes(), key=delivery.id.encode()
            )

    async def _dead_letter_message(self, record: ConsumerRecord, exc: ValidationError) -> None:
        self.counters.inc("dead_lettered.invalid_classified_item")
        first = exc.errors()[0]
        letter = DeadLetter(
            service="alerter",
            source_topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key.decode("utf-8", "replace") if record.key else None,
            error_kind="invalid_classified_item",
            error=f"{'.'.join(map(str, first['loc'])) or 'message'}: {first['msg']}",
            payload=(record.value or b"").decode("utf-8", "replace"),
        )
        log.warning(
            "dead-lettering %s[%d]@%d: %s",
            record.topic,
            record.partition,
            record.offset,
            letter.error,
        )
        await self._producer.send_and_wait(
            self._settings.topics.dead_letter("classified"), letter.to_json_bytes(), key=record.key
        )


def _undeliverable(sub: Subscription, alert: Alert, target: ChannelTarget, reason: str) -> Delivery:
    item = alert.item.item
    return Delivery(
        id=alert.delivery_id,
        subscription_id=sub.id,
        team=sub.team,
        item_id=item.id,
        item_revision=item.revision,
        channel=target.kind,
        target="…",
        tags=[h.tag for h in alert.hits],
        status=DeliveryStatus.FAILED,
        attempts=[DeliveryAttempt(ok=False, error=reason)],
    )
