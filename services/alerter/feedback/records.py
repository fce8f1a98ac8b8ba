"""Building a feedback record from what an officer said and what newswatch knows. Pure."""

import hashlib
from dataclasses import dataclass

from newswatch.shared.contracts import Delivery, FeedbackKind, ItemSnapshot, Story
from newswatch.shared.errors import NewswatchError


class FeedbackRefused(NewswatchError, ValueError):
    """Feedback that cannot be recorded: ``status`` 404 (not the team's) or 422 (not valid)."""

    def __init__(self, status: int, message: str, kind: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.field = field


@dataclass(frozen=True, slots=True)
class Report:
    """What the officer said, through the API or the alert's link."""

    team: str
    kind: FeedbackKind
    tag: str
    by: str
    item_id: str | None = None
    delivery_id: str | None = None
    comment: str | None = None
    given: ItemSnapshot | None = None  # the item as the client describes it, if it does


def feedback_id(team: str, kind: FeedbackKind, tag: str, item_id: str) -> str:
    """The same team's second report of the same thing is the same record: a link clicked
    twice, or a link and an API call, count once."""
    key = "\x1f".join((team, kind.value, tag, item_id))
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def check_tag(tag: str, known: set[str]) -> None:
    if tag not in known:
        raise FeedbackRefused(
            422,
            f"unknown tag(s) {tag}: the classifier tags {', '.join(sorted(known))}",
            "unknown_tag",
            "tag",
        )


def best_snapshot(
    stored: ItemSnapshot | None,
    delivery: Delivery | None,
    story: Story | None,
    given: ItemSnapshot | None,
    item_id: str,
) -> ItemSnapshot:
    """What newswatch kept of the item wins; what the client says fills the gaps."""
    if stored is None:
        stored = ItemSnapshot(
            # A story's title is its first report's: this item's only if it opened the story.
            title=story.title if story and story.id == item_id else "",
            tags=list(delivery.tags) if delivery else [],
        )
    given = given or ItemSnapshot()
    return ItemSnapshot(
        title=stored.title or given.title,
        summary=stored.summary or given.summary,
        language=stored.language or given.language,
        tags=stored.tags or given.tags,
    )


def check_against_item(kind: FeedbackKind, tag: str, snapshot: ItemSnapshot) -> None:
    """A false alarm is about a tag the item has; a missed tag about one it lacks."""
    if not snapshot.tags:
        return  # nothing known of the tags: nothing to contradict
    if kind is FeedbackKind.FALSE_ALARM and tag not in snapshot.tags:
        raise FeedbackRefused(
            422,
            f"the item was not tagged {tag}: nothing to call a false alarm",
            "not_tagged",
            "tag",
        )
    if kind is FeedbackKind.MISSED_TAG and tag in snapshot.tags:
        raise FeedbackRefused(
            422, f"the item was tagged {tag}: it was not missed", "already_tagged", "tag"
        )
