"""A digest's "False alarm" links end to end: a real alerter sends a digest of two stories to
Slack and email, and an officer follows the link of the story that is not the digest's newest,
then reports on that story through the API, naming the digest's delivery."""

import html
import json
import re
from urllib.parse import urlsplit

import httpx
import pytest

from newswatch.alerter.api import create_app
from newswatch.alerter.feedback.store import FeedbackStore
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.shared.contracts import ChannelTarget, ItemSnapshot, Subscription
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.redis import create_redis
from tests.integration.alerter_harness import Receivers, RunningAlerter, publish
from tests.integration.helpers import until
from tests.integration.test_alerter_delivery import report, settings_for

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

SLACK_LINK = re.compile(r"<(http://api\.test/v1/feedback/link\?token=[^|>]+)\|False alarm: strike>")
EMAIL_LINK = re.compile(
    r"\n  False alarm \(strike\)\? http://api\.test/v1/feedback/link\?token=\S+"
)


@pytest.fixture
def receivers():
    r = Receivers()
    yield r
    r.close()


async def test_an_officer_reports_a_false_alarm_from_a_digest(env_settings, receivers):
    settings = settings_for(receivers, feedback_secret="s3cret", public_url="http://api.test/")
    sub = Subscription(
        id="desk",
        team="ops",
        tags=["strike"],
        mode="digest",
        digest_minutes=0.05,
        channels=[
            ChannelTarget(kind="slack", target=f"{receivers.url}/slack"),
            ChannelTarget(kind="email", target="ops@example.org"),
        ],
    )
    # Two stories (far apart), so one digest of two entries; the second is its newest.
    older = report(1, "Strike on Odesa port depot", "Wire", "Odesa", 3)
    newer = report(2, "Drone strike on Lviv rail yard", "Courier", "Lviv", 1, minutes=5)
    await ensure_topics(settings, [settings.topics.feedback], partitions=1)
    async with RunningAlerter(settings) as running:
        await running.subscribe(sub)
        await publish(settings, older, newer)
        running.start()
        await until(
            lambda: receivers.ok("/slack") and receivers.smtp.messages,
            explain=lambda: f"{receivers.answers} {running.alerter.counters.summary()}",
        )
    assert receivers.ok("/slack") == 1, "Slack's Block Kit models accept the digest"
    slack = json.loads(receivers.http.received("/slack")[0].body)
    sections = [b["text"]["text"] for b in slack["blocks"] if b["type"] == "section"]
    assert len(sections) == 2, "one digest of both stories"
    (older_section,) = [s for s in sections if "Odesa" in s]
    (link,) = SLACK_LINK.findall(older_section)
    text = receivers.smtp.messages[0][0].get_body(("plain",)).get_content()
    assert len(EMAIL_LINK.findall(text)) == 2, "one link under each story in the email"

    redis = create_redis(settings)
    (digest,) = [
        d
        for d in await DeliveryLedger(redis, settings.redis_prefix).recent("ops", "desk")
        if d.channel == "slack"
    ]
    assert digest.kind == "digest" and digest.item_id == newer.item.id
    app = create_app(settings, redis=redis)
    parts = urlsplit(link)
    url = f"{parts.path}?{parts.query}"
    _, key = await ApiKeyStore(redis, settings.redis_prefix).create("ops", "test")
    ops = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        page = await c.get(url)
        assert page.status_code == 200 and html.escape(older.item.title) in page.text
        assert (await c.post(url, data={"comment": "a drill"})).status_code == 201
        assert (await c.post(url)).status_code == 200, "a second click records nothing new"
        # Through the API: the digest's delivery id with the older story's item.
        missed = {"kind": "missed_tag", "tag": "sanctions", "delivery_id": digest.id}
        answer = await c.post("/v1/feedback", json=missed | {"item_id": older.item.id}, headers=ops)
        assert answer.status_code == 201, answer.text
        stranger = await c.post("/v1/feedback", json=missed | {"item_id": "f" * 32}, headers=ops)
        assert stranger.status_code == 422, "an item the digest did not carry"
        assert stranger.json()["detail"][0]["type"] == "item_mismatch"
        await app.state.feedback.publisher.close()
    records = await FeedbackStore(redis, settings.redis_prefix).find("ops")
    await redis.aclose()
    (record,) = [r for r in records if r.by == "link"]
    assert (record.kind, record.tag, record.item_id) == ("false_alarm", "strike", older.item.id)
    assert record.delivery_id == digest.id
    assert record.story_id == older.item.id, "the older story's, not the digest's newest"
    assert record.comment == "a drill"
    (missed_record,) = [r for r in records if r.by != "link"]
    assert (missed_record.kind, missed_record.item_id) == ("missed_tag", older.item.id)
    assert missed_record.story_id == older.item.id and missed_record.delivery_id == digest.id
    assert record.item == ItemSnapshot(
        title=older.item.title, summary=older.item.summary, language="en", tags=["strike"]
    )
