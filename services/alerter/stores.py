"""The alerter's Redis stores, as one bundle the composition root builds (``bootstrap``)."""

from dataclasses import dataclass

from newswatch.alerter.failed import FailedDeliveries
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.pending import PendingDigests
from newswatch.alerter.queue import RetryQueue
from newswatch.alerter.story_store import StoryStore
from newswatch.alerter.subscriptions import SubscriptionStore


@dataclass(frozen=True, slots=True)
class AlerterStores:
    subscriptions: SubscriptionStore
    ledger: DeliveryLedger
    queue: RetryQueue
    pending: PendingDigests
    stories: StoryStore
    failed: FailedDeliveries
    keys: ApiKeyStore
