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
from newswatch.shared.contracts import Delivery, Feedback, FeedbackKind, ItemSnapshot
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
        ``signed``: a link's signature vouches that its item was in its delivery (a digest's
        record names only its newest item; each of its links names the story's own item)."""
        check_tag(report.tag, self.tags)
        delivery = await self._delivery(report, signed)
        item_id = delivery.item_id if delivery else report.item_id
        if signed and report.item_id:
            item_id = report.item_id
        if not item_id:
            raise FeedbackRefused(422, "give delivery_id or item_id", "missing_item", "item_id")
        stored, teams = await self.snapshots.recall(item_id)
        if delivery is None and report.team not in teams and teams:
            # Alerted to other teams only: as unknown to this one as a missing item.
            raise FeedbackRefused(404, f"no item {item_id!r} in your team's alerts", "not_found")
        story_id = delivery.story_id if delivery else None
        stories = await self._stories.get_many([story_id]) if story_id else {}
        snapshot = best_snapshot(
            stored, delivery, stories.get(story_id or ""), report.given, item_id
        )
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
            story_id=story_id,
            delivery_id=delivery.id if delivery else teams.get(report.team),
            comment=report.comment or None,
            by=report.by,
            item=snapshot,
        )
        return await self.store.add(feedback)

    async def _delivery(self, report: Report, signed: bool) -> Delivery | None:
        if not report.delivery_id:
            return None
        delivery = await self._ledger.get(report.delivery_id)
        if delivery is None or delivery.team != report.team:
            raise FeedbackRefused(
                404, f"no delivery {report.delivery_id!r} in your team", "not_found"
            )
        if report.item_id and report.item_id != delivery.item_id and not signed:
            raise FeedbackRefused(
                422, "item_id is not the item of that delivery", "item_mismatch", "item_id"
            )
        return delivery

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
