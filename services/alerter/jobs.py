"""A delivery job: everything needed to (re)try one notice to one destination, as stored in
the durable retry queue. Pure: building jobs, turning them into notices and records, and
deciding what follows an attempt."""

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from newswatch.alerter.alert import Alert, Digest, DigestEntry, Notice
from newswatch.shared.contracts import (
    ChannelTarget,
    ClassifiedItem,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Story,
    Subscription,
    TagHit,
)
from newswatch.shared.contracts.base import UtcDatetime, utc_now
from newswatch.shared.contracts.subscriptions import subscription_key


def delivery_id(subscription_key: str, subject: str, destination_key: str) -> str:
    """One id per (subscription, story or digest, destination): the unit of "once"."""
    return hashlib.sha256(
        f"{subscription_key}\x1f{subject}\x1f{destination_key}".encode()
    ).hexdigest()[:32]


class PendingEntry(BaseModel):
    """A story waiting for a subscription's next digest (or follow-up)."""

    model_config = ConfigDict(extra="ignore")

    story_id: str
    update: bool
    item: ClassifiedItem
    hits: list[TagHit]


class DeliveryJob(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    kind: Literal["alert", "digest"]
    subscription_id: str
    team: str
    target: ChannelTarget
    item: ClassifiedItem | None = None
    hits: list[TagHit] = Field(default_factory=list)
    story: Story | None = None
    entries: list[PendingEntry] = Field(default_factory=list)
    stories: dict[str, Story] = Field(default_factory=dict)  # a digest's stories as of sending
    attempts: list[DeliveryAttempt] = Field(default_factory=list)
    created_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def subscription_key(self) -> str:
        return subscription_key(self.team, self.subscription_id)

    def notice(self) -> Notice:
        if self.kind == "alert":
            assert self.item is not None
            return Alert(self.id, self.subscription_id, self.item, self.hits, self.story)
        return Digest(
            self.id,
            self.subscription_id,
            [
                DigestEntry(self.stories[e.story_id], e.item, e.hits, e.update)
                for e in self.entries
                if e.story_id in self.stories
            ],
        )

    def record(self, status: DeliveryStatus, masked_target: str) -> Delivery:
        lead = self.item or (self.entries[-1].item if self.entries else None)
        hits = self.hits or [h for e in self.entries for h in e.hits]
        finished = utc_now()
        latency = None
        if status is DeliveryStatus.DELIVERED and lead is not None and self.kind == "alert":
            latency = round((finished - lead.classified_at).total_seconds() * 1000, 1)
        return Delivery(
            id=self.id,
            kind=self.kind,
            subscription_id=self.subscription_id,
            team=self.team,
            item_id=lead.item.id if lead else "",
            item_revision=lead.item.revision if lead else 1,
            story_id=self.story.id if self.story else None,
            story_ids=[e.story_id for e in self.entries],
            channel=self.target.kind,
            target=masked_target,
            tags=list(dict.fromkeys(h.tag for h in hits)),
            status=status,
            attempts=self.attempts,
            latency_ms=latency,
            created_at=self.created_at,
            finished_at=finished,
        )


def alert_jobs(
    sub: Subscription, item: ClassifiedItem, hits: list[TagHit], story: Story
) -> list[DeliveryJob]:
    return [
        DeliveryJob(
            id=delivery_id(sub.key, story.id, target.key),
            kind="alert",
            subscription_id=sub.id,
            team=sub.team,
            target=target,
            item=item,
            hits=hits,
            story=story,
        )
        for target in sub.channels
    ]


def digest_jobs(
    sub: Subscription, entries: list[PendingEntry], stories: dict[str, Story]
) -> list[DeliveryJob]:
    # The id depends on exactly which entries are sent, so a digest retried after a crash
    # is recognised, and one with different entries is a different digest.
    subject = "digest:" + ",".join(
        sorted(f"{e.story_id}{'+' if e.update else ''}" for e in entries)
    )
    return [
        DeliveryJob(
            id=delivery_id(sub.key, subject, target.key),
            kind="digest",
            subscription_id=sub.id,
            team=sub.team,
            target=target,
            entries=entries,
            stories={e.story_id: stories[e.story_id] for e in entries if e.story_id in stories},
        )
        for target in sub.channels
    ]


def backoff_delay(attempt: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff; a receiver's Retry-After is a floor, never ignored."""
    delay = random.uniform(0, min(cap, base * 2 ** (attempt - 1)))
    return max(delay, retry_after) if retry_after is not None else delay


@dataclass(frozen=True, slots=True)
class Outcome:
    status: DeliveryStatus
    retry_at: datetime | None = None


def after_attempt(
    attempts: int,
    ok: bool,
    retryable: bool,
    retry_after: float | None,
    *,
    max_attempts: int,
    base: float,
    cap: float,
    now: datetime,
) -> Outcome:
    if ok:
        return Outcome(DeliveryStatus.DELIVERED)
    if not retryable or attempts >= max_attempts:
        return Outcome(DeliveryStatus.FAILED)
    delay = backoff_delay(attempts, base, cap, retry_after)
    return Outcome(DeliveryStatus.RETRYING, now + timedelta(seconds=delay))
