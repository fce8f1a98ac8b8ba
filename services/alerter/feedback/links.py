"""The alerter's side of feedback: each alert it sends is remembered (for the snapshot) and,
when a secret is set, carries a signed one-click "False alarm" link per tag; so does each
story of a digest, its link naming the digest's delivery and the story's item."""

import dataclasses
import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from newswatch.alerter.alert import Alert, Notice
from newswatch.alerter.feedback.snapshots import ItemSnapshots
from newswatch.alerter.feedback.tokens import LinkClaim, sign
from newswatch.alerter.jobs import DeliveryJob
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ClassifiedItem, TagHit

log = logging.getLogger("newswatch.alerter")

LINK_PATH = "/v1/feedback/link"


def public_base(settings: AlerterSettings) -> str:
    return settings.public_url.rstrip("/") or f"http://{settings.api_host}:{settings.api_port}"


@dataclass(frozen=True, slots=True)
class LinkMaker:
    secret: str
    base_url: str
    ttl_seconds: float

    @classmethod
    def from_settings(cls, settings: AlerterSettings) -> "LinkMaker | None":
        if settings.feedback_secret is None:
            return None
        return cls(
            settings.feedback_secret.get_secret_value(),
            public_base(settings),
            settings.feedback_link_days * 86400,
        )

    def links(
        self, team: str, delivery_id: str, item: ClassifiedItem, hits: list[TagHit], now: float
    ) -> tuple[tuple[str, str], ...]:
        """(tag, URL) for each tag reported on the item in the delivery (an alert, or one
        entry of a digest: the delivery and the item together say which)."""
        expires = int(now + self.ttl_seconds)
        return tuple(
            (
                hit.tag,
                f"{self.base_url}{LINK_PATH}?token="
                + sign(LinkClaim(team, delivery_id, item.item.id, hit.tag, expires), self.secret),
            )
            for hit in hits
        )


class FeedbackNotices:
    def __init__(self, snapshots: ItemSnapshots, links: LinkMaker | None) -> None:
        self._snapshots = snapshots
        self._links = links

    @classmethod
    def from_settings(cls, settings: AlerterSettings, redis: Redis) -> "FeedbackNotices":
        links = LinkMaker.from_settings(settings)
        if links is None:
            log.info(
                "alerts carry no 'False alarm' links: NEWSWATCH_ALERTER_FEEDBACK_SECRET is unset"
            )
        return cls(ItemSnapshots(redis, settings.redis_prefix), links)

    async def notice(self, job: DeliveryJob) -> Notice:
        """The job's notice as the channel should render it."""
        notice = job.notice()
        items = [notice.item] if isinstance(notice, Alert) else [e.item for e in notice.entries]
        try:
            await self._snapshots.remember(job.team, job.id, *items)
        except RedisError as exc:  # feedback is worth less than the notice itself
            log.warning("could not keep item(s) of %s for feedback: %s", job.id, exc)
        if self._links is None:
            return notice
        now = time.time()
        if isinstance(notice, Alert):
            return dataclasses.replace(
                notice,
                feedback_links=self._links.links(job.team, job.id, notice.item, notice.hits, now),
            )
        return dataclasses.replace(
            notice,
            entries=[
                dataclasses.replace(
                    entry,
                    feedback_links=self._links.links(job.team, job.id, entry.item, entry.hits, now),
                )
                for entry in notice.entries
            ],
        )
