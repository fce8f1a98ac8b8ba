"""An officer's word on one tag of one item: a false alarm, or a tag the classifier missed.

Published on ``{prefix}.feedback.v1`` (key: the feedback id) when it is recorded and
again each time it is reviewed; a consumer keeps the latest record per id.
"""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from newswatch.shared.contracts.base import Contract, UtcDatetime, utc_now
from newswatch.shared.contracts.subscriptions import TEAM_PATTERN

COMMENT_MAX = 1000
TAG_PATTERN = r"^[a-z][a-z0-9_]{1,40}$"
ID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class FeedbackKind(StrEnum):
    FALSE_ALARM = "false_alarm"  # the classifier gave the tag; the item is not about it
    MISSED_TAG = "missed_tag"  # the item is about the tag; the classifier did not give it


class FeedbackStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class ItemSnapshot(BaseModel):
    """The item as the officer saw it, kept with the feedback: items themselves expire."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(default="", max_length=2000)
    summary: str = Field(default="", max_length=20_000)
    language: str | None = Field(default=None, description="ISO 639-1 code, when known.")
    tags: list[str] = Field(
        default_factory=list, description="The tags the classifier gave the item."
    )


class Feedback(Contract):
    id: str = Field(
        pattern=ID_PATTERN,
        description="A hash of team, kind, tag and item: one team's second report of the same "
        "thing is the same feedback.",
    )
    team: str = Field(pattern=TEAM_PATTERN)
    kind: FeedbackKind
    tag: str = Field(pattern=TAG_PATTERN)
    item_id: str = Field(pattern=ID_PATTERN)
    story_id: str | None = None
    delivery_id: str | None = Field(default=None, description="The alert the officer answered.")
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)
    by: str = Field(description="The API key id that reported it, or 'link' (the alert's link).")
    created_at: UtcDatetime = Field(default_factory=utc_now)
    status: FeedbackStatus = FeedbackStatus.PENDING
    reviewed_by: str | None = None
    reviewed_at: UtcDatetime | None = None
    item: ItemSnapshot = Field(default_factory=ItemSnapshot)


__all__ = ["Feedback", "FeedbackKind", "FeedbackStatus", "ItemSnapshot"]
