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


def lane_id(subscription_key: str, destination_key: str) -> str:
    """One lane per (subscription, destination): its deliveries arrive in the order made."""
    return hashlib.sha256(f"{subscription_key}\x1f{destination_key}".encode()).hexdigest()[:24]


def give_up_at(sub: Subscription, default_hours: float, now: datetime) -> datetime:
    """When a delivery made now stops being retried: the subscription's window, else the default."""
    return now + timedelta(hours=sub.retry_for_hours or default_hours)


def give_up_default(job: "DeliveryJob", default_hours: float) -> datetime:
    """For a job queued without a deadline (by an older alerter): the default window."""
    return job.created_at + timedelta(hours=default_hours)


class PendingEntry(BaseModel):
    """A story waiting for a subscription's next digest (or follow-up)."""

    model_config = ConfigDict(extra="ignore")

    story_id: str
    update: bool
    item: ClassifiedItem
    hits: list[TagHit]
    # What the subscriber is told about: the story, or the story and tags new to it ("{id}+tag").
    subject: str = ""

    @property
    def key(self) -> str:
        return self.subject or self.story_id


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
    give_up_at: UtcDatetime | None = None  # None (queued by an older alerter): the default window

    @property
    def subscription_key(self) -> str:
        return subscription_key(self.team, self.subscription_id)

    @property
    def lane(self) -> str:
        return lane_id(self.subscription_key, self.target.key)

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
    sub: Subscription,
    item: ClassifiedItem,
    hits: list[TagHit],
    story: Story,
    *,
    subject: str | None = None,
    give_up: datetime | None = None,
) -> list[DeliveryJob]:
    return [
        DeliveryJob(
            id=delivery_id(sub.key, subject or story.id, target.key),
            kind="alert",
            subscription_id=sub.id,
            team=sub.team,
            target=target,
            item=item,
            hits=hits,
            story=story,
            give_up_at=give_up,
        )
        for target in sub.channels
    ]


def digest_jobs(
    sub: Subscription,
    entries: list[PendingEntry],
    stories: dict[str, Story],
    give_up: datetime | None = None,
) -> list[DeliveryJob]:
    # The id depends on exactly which entries are sent, so a digest retried after a crash
    # is recognised, and one with different entries is a different digest.
    subject = "digest:" + ",".join(sorted(f"{e.key}{'+' if e.update else ''}" for e in entries))
    return [
        DeliveryJob(
            id=delivery_id(sub.key, subject, target.key),
            kind="digest",
            subscription_id=sub.id,
            team=sub.team,
            target=target,
            entries=entries,
            stories={e.story_id: stories[e.story_id] for e in entries if e.story_id in stories},
            give_up_at=give_up,
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
    base: float,
    cap: float,
    now: datetime,
    give_up_at: datetime | None = None,
    max_attempts: int = 0,
) -> Outcome:
    """What follows an attempt: retried until ``give_up_at`` (the last try is made at that
    moment, whatever the backoff says) or ``max_attempts`` (0: no limit), else failed."""
    if ok:
        return Outcome(DeliveryStatus.DELIVERED)
    out_of_time = give_up_at is not None and now >= give_up_at
    if not retryable or out_of_time or (max_attempts and attempts >= max_attempts):
        return Outcome(DeliveryStatus.FAILED)
    retry_at = now + timedelta(seconds=backoff_delay(attempts, base, cap, retry_after))
    if give_up_at is not None:
        retry_at = min(retry_at, give_up_at)
    return Outcome(DeliveryStatus.RETRYING, retry_at)
