"""The event contracts: pydantic models that travel as JSON over Kafka.

Other systems read our topics directly, so these models are a public contract.
Rules for changing them (see docs/integrators.md, "Consuming the topics"):

* additive, optional fields raise the minor version (``1.0`` -> ``1.1``);
  consumers ignore fields they do not know;
* anything else is a new major version, published on new ``.v2`` topics.
"""

from newswatch.shared.contracts.base import SCHEMA_VERSION, Contract
from newswatch.shared.contracts.classified import (
    Actor,
    Casualty,
    ClassifiedItem,
    Evidence,
    Facts,
    MoneyAmount,
    Place,
    TagHit,
)
from newswatch.shared.contracts.dead_letter import DeadLetter
from newswatch.shared.contracts.deliveries import Delivery, DeliveryAttempt, DeliveryStatus
from newswatch.shared.contracts.feedback import (
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    ItemSnapshot,
)
from newswatch.shared.contracts.news import NewsItem
from newswatch.shared.contracts.stories import Story
from newswatch.shared.contracts.subscriptions import (
    ChannelTarget,
    DeliveryMode,
    RateLimit,
    Subscription,
)

__all__ = [
    "SCHEMA_VERSION",
    "Actor",
    "Casualty",
    "ChannelTarget",
    "ClassifiedItem",
    "Contract",
    "DeadLetter",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryMode",
    "DeliveryStatus",
    "Evidence",
    "Facts",
    "Feedback",
    "FeedbackKind",
    "FeedbackStatus",
    "ItemSnapshot",
    "MoneyAmount",
    "NewsItem",
    "Place",
    "RateLimit",
    "Story",
    "Subscription",
    "TagHit",
]
