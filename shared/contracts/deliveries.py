"""The record of one alert (or digest) delivered, or attempted, to one destination."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from newswatch.shared.contracts.base import Contract, UtcDatetime, utc_now


class DeliveryStatus(StrEnum):
    RETRYING = "retrying"  # in the durable retry queue; only in the delivery log, never on Kafka
    DELIVERED = "delivered"
    FAILED = "failed"  # retries exhausted or a permanent error: dead-lettered


class DeliveryAttempt(BaseModel):
    model_config = ConfigDict(extra="ignore")

    at: UtcDatetime = Field(default_factory=utc_now)
    ok: bool
    error: str | None = None
    status_code: int | None = None
    duration_ms: float = 0.0


class Delivery(Contract):
    id: str = Field(description="Hash of subscription, story (or digest) and destination.")
    kind: str = Field(default="alert", description="'alert' or 'digest'.")
    subscription_id: str
    team: str = "default"
    item_id: str = Field(description="The item that raised the alert; a digest's newest item.")
    item_revision: int = 1
    story_id: str | None = Field(default=None, description="The story this alert is about.")
    story_ids: list[str] = Field(default_factory=list, description="A digest's stories.")
    channel: str
    target: str = Field(description="The destination with secrets masked.")
    tags: list[str] = Field(default_factory=list)
    status: DeliveryStatus
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    latency_ms: float | None = Field(
        default=None, description="From classification to successful delivery."
    )
    created_at: UtcDatetime = Field(default_factory=utc_now)
    finished_at: UtcDatetime = Field(default_factory=utc_now)
