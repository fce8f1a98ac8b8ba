"""Recording feedback: where the API's routes and the link's page meet the stores."""

import time

from redis.asyncio import Redis

from newswatch.alerter.feedback.outbox import FeedbackPublisher
from newswatch.alerter.feedback.records import (
    FeedbackRefused,
    Report,
    best_snapshot,
    check_against_item,
    check_tag,
    feedback_id,
)
from newswatch.alerter.feedback.snapshots import ItemSnapshots
from newswatch.alerter.feedback.store import FeedbackStore
from newswatch.alerter.feedback.tokens import LinkClaim, verify
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.story_store import StoryStore
from newswatch.alerter.subscriptions import known_tags
from newswatch.shared.contracts import Delivery, Feedback, FeedbackKind, ItemSnapshot, Story
from newswatch.shared.contracts.feedback import COMMENT_MAX


class FeedbackService:
    def __init__(self, redis: Redis, settings: AlerterSettings, client_id: str) -> None:
        prefix = settings.redis_prefix
        self.store = FeedbackStore(redis, prefix)
        self.snapshots = ItemSnapshots(redis, prefix)
        self.publisher = FeedbackPublisher(self.store, settings, client_id)
        self._ledger = DeliveryLedger(redis, prefix)
        self._stories = StoryStore(redis, prefix)
        self._secret = (
            settings.feedback_secret.get_secret_value() if settings.feedback_secret else None
        )
        self.tags = known_tags()

    @property
    def links_enabled(self) -> bool:
        return self._secret is not None

    def claim(self, token: str) -> LinkClaim:
        """The link's claim; TokenError when forged, damaged or expired."""
        assert self._secret is not None
        return verify(token, self._secret, time.time())

    async def snapshot(self, item_id: str) -> ItemSnapshot | None:
        return (await self.snapshots.recall(item_id))[0]

    async def record(self, report: Report, *, signed: bool = False) -> tuple[Feedback, bool]:
        """The stored feedback and whether it is new; FeedbackRefused when it cannot be.
        ``signed``: a link's signature vouches that its item was in its delivery."""
        check_tag(report.tag, self.tags)
        delivery = await self._delivery(report)
        item_id = report.item_id or (delivery.item_id if delivery else None)
        if not item_id:
            raise FeedbackRefused(422, "give delivery_id or item_id", "missing_item", "item_id")
        if delivery and not signed and not await self._carried(delivery, item_id):
            raise FeedbackRefused(
                422, "item_id is not an item of that delivery", "item_mismatch", "item_id"
            )
        stored, teams = await self.snapshots.recall(item_id)
        if delivery is None and report.team not in teams and teams:
            # Alerted to other teams only: as unknown to this one as a missing item.
            raise FeedbackRefused(404, f"no item {item_id!r} in your team's alerts", "not_found")
        story = await self._story_of(delivery, item_id) if delivery else None
        snapshot = best_snapshot(stored, delivery, story, report.given, item_id)
        if delivery is None and not teams and not snapshot.title:
            raise FeedbackRefused(
                404,
                f"no item {item_id!r} in your team's alerts; to report one newswatch did not "
                "alert you to, describe it (item.title, item.summary)",
                "not_found",
            )
        check_against_item(report.kind, report.tag, snapshot)
        feedback = Feedback(
            id=feedback_id(report.team, report.kind, report.tag, item_id),
            team=report.team,
            kind=report.kind,
            tag=report.tag,
            item_id=item_id,
            story_id=story.id if story else _named_story(delivery, item_id),
            delivery_id=delivery.id if delivery else teams.get(report.team),
            comment=report.comment or None,
            by=report.by,
            item=snapshot,
        )
        return await self.store.add(feedback)

    async def _delivery(self, report: Report) -> Delivery | None:
        if not report.delivery_id:
            return None
        delivery = await self._ledger.get(report.delivery_id)
        if delivery is None or delivery.team != report.team:
            raise FeedbackRefused(
                404, f"no delivery {report.delivery_id!r} in your team", "not_found"
            )
        return delivery

    async def _carried(self, delivery: Delivery, item_id: str) -> bool:
        """Did the delivery carry the item? Its record names one item (a digest's newest);
        the snapshots note every item each delivery carried."""
        if item_id == delivery.item_id:
            return True
        return await self.snapshots.carried(item_id, delivery.id, delivery.team)

    async def _story_of(self, delivery: Delivery, item_id: str) -> Story | None:
        """Of the delivery's stories (a digest has several), the one the item belongs to."""
        ids = list(dict.fromkeys([*delivery.story_ids, *filter(None, [delivery.story_id])]))
        for story in (await self._stories.get_many(ids)).values():
            if item_id == story.id or item_id in story.item_ids:
                return story
        return None

    async def record_link(self, claim: LinkClaim, comment: str | None) -> tuple[Feedback, bool]:
        # The signature vouches for team and item; a delivery record past its retention
        # (or not yet written) leaves the item to speak for itself.
        delivery = await self._ledger.get(claim.delivery_id)
        return await self.record(
            Report(
                team=claim.team,
                kind=FeedbackKind.FALSE_ALARM,
                tag=claim.tag,
                by="link",
                item_id=claim.item_id,
                delivery_id=claim.delivery_id if delivery else None,
                comment=(comment or "")[:COMMENT_MAX] or None,
            ),
            signed=True,
        )


def _named_story(delivery: Delivery | None, item_id: str) -> str | None:
    """The story a delivery's record names, when it is the item's (its story no longer kept)."""
    return delivery.story_id if delivery and delivery.item_id == item_id else None
