"""The alerter's side of feedback: each alert it sends is remembered (for the snapshot) and,
when a secret is set, carries a signed one-click "False alarm" link per tag."""

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

    def links(self, team: str, alert: Alert, now: float) -> tuple[tuple[str, str], ...]:
        """(tag, URL) for each tag the alert reports."""
        expires = int(now + self.ttl_seconds)
        return tuple(
            (
                hit.tag,
                f"{self.base_url}{LINK_PATH}?token="
                + sign(
                    LinkClaim(team, alert.delivery_id, alert.item.item.id, hit.tag, expires),
                    self.secret,
                ),
            )
            for hit in alert.hits
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
        if not isinstance(notice, Alert):
            return notice
        try:
            await self._snapshots.remember(job.team, job.id, notice.item)
        except RedisError as exc:  # feedback is worth less than the alert itself
            log.warning("could not keep item %s for feedback: %s", notice.item.item.id, exc)
        if self._links is None:
            return notice
        return dataclasses.replace(
            notice, feedback_links=self._links.links(job.team, notice, time.time())
        )
