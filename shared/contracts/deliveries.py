"""The record of one alert delivered, or attempted, to one destination."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from newswatch.shared.contracts.base import Contract, UtcDatetime, utc_now


class DeliveryStatus(StrEnum):
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
    id: str = Field(description="Hash of subscription, item and destination: one per alert.")
    subscription_id: str
    team: str = "default"
    item_id: str
    item_revision: int = 1
    channel: str
    target: str = Field(description="The destination with secrets masked.")
    tags: list[str] = Field(default_factory=list)
    status: DeliveryStatus
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    created_at: UtcDatetime = Field(default_factory=utc_now)
    finished_at: UtcDatetime = Field(default_factory=utc_now)
