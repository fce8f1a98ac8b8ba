"""The feedback loop end to end: a real alert's link, review on the command line, the export
that `newswatch train` reads, and the precision officers see."""

import json
import re
import shutil
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from newswatch.alerter.api import create_app
from newswatch.alerter.feedback.store import FeedbackStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.classifier.evaluation import read_examples
from newswatch.shared.contracts import (
    ChannelTarget,
    Delivery,
    Feedback,
    FeedbackKind,
    FeedbackStatus,
    ItemSnapshot,
    Subscription,
)
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.redis import create_redis
from tests.factories import classified
from tests.integration.alerter_harness import Receivers, RunningAlerter, publish
from tests.integration.helpers import until
from tests.integration.test_alerter_replay import newswatch

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
SLACK_LINK = re.compile(r"<(http://api\.test/v1/feedback/link\?token=[^|>]+)\|False alarm: strike>")


@pytest.fixture
def receivers():
    r = Receivers()
    yield r
    r.close()


async def send_one_alert(receivers: Receivers, secret: str | None):
    """A real alerter sends one strike alert to Slack and email; the settings it ran with."""
    settings = AlerterSettings(
        smtp_host=receivers.smtp.host,
        smtp_port=receivers.smtp.port,
        allowed_networks="127.0.0.0/8",
        feedback_secret=secret,
        public_url="http://api.test/",
    )
    sub = Subscription(
        id="desk",
        team="ops",
        tags=["strike"],
        channels=[
            ChannelTarget(kind="slack", target=f"{receivers.url}/slack"),
            ChannelTarget(kind="email", target="ops@example.org"),
        ],
    )
    item = classified(3, tags={"strike": 0.9, "sanctions": 0.6})
    await ensure_topics(settings, [settings.topics.feedback], partitions=1)
    async with RunningAlerter(settings) as running:
        await running.subscribe(sub)
        await publish(settings, item)
        running.start()
        await until(lambda: receivers.ok("/slack") and receivers.smtp.messages)
    slack = receivers.http.received("/slack")[0].body.decode()
    message = receivers.smtp.messages[0][0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return settings, item, slack, text, html


async def test_slack_and_email_alerts_carry_a_working_false_alarm_link(env_settings, receivers):
    settings, item, slack, text, html = await send_one_alert(receivers, "s3cret")
    assert receivers.ok("/slack") == 1, "Slack's Block Kit models accept the message"
    (link,) = SLACK_LINK.findall(json.loads(slack)["blocks"][-1]["elements"][0]["text"])
    # Email is another destination, so another delivery and its own link.
    assert re.search(
        r"\nFalse alarm \(strike\)\? http://api\.test/v1/feedback/link\?token=\S+", text
    )
    assert re.search(
        r'<a href="http://api\.test/v1/feedback/link\?token=[^"]+">False alarm: strike</a>', html
    )
    assert "False alarm: sanctions" not in slack + html, "only the tags the subscription asked for"
    # The link works: it asks on GET and records on POST, with the item as the alerter saw it.
    redis = create_redis(settings)
    app = create_app(settings, redis=redis)
    path = urlsplit(link)
    url = f"{path.path}?{path.query}"
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        assert (await c.get(url)).status_code == 200
        assert (await c.post(url)).status_code == 201
        await app.state.feedback.publisher.close()
    (record,) = await FeedbackStore(redis, settings.redis_prefix).find("ops")
    (delivery,) = [
        d
        for d in await DeliveryLedger(redis, settings.redis_prefix).recent("ops", "desk")
        if d.channel == "slack"
    ]
    await redis.aclose()
    assert (record.kind, record.tag, record.item_id) == ("false_alarm", "strike", item.item.id)
    assert record.delivery_id == delivery.id and record.by == "link"
    assert record.item == ItemSnapshot(
        title=item.item.title,
        summary=item.item.summary,
        language="en",
        tags=["strike", "sanctions"],
    )


async def test_without_a_secret_alerts_carry_no_link(env_settings, receivers):
    _, _, slack, text, html = await send_one_alert(receivers, None)
    assert "False alarm" not in slack + text + html
    assert "feedback/link" not in slack + text + html


def reviewed(kind: FeedbackKind, tag: str, n: int, tags: list[str], title: str) -> Feedback:
    return Feedback(
        id=f"f{n}",
        team="ops",
        kind=kind,
        tag=tag,
        item_id=f"{n:032x}",
        by="k1",
        item=ItemSnapshot(title=title, summary="", language="en", tags=tags),
    )


async def test_reviewed_feedback_exports_to_a_file_newswatch_train_reads(
    env_settings, server_env, tmp_path
):
    settings = AlerterSettings()
    redis = create_redis(settings)
    store = FeedbackStore(redis, settings.redis_prefix)
    for record in (
        reviewed(FeedbackKind.FALSE_ALARM, "strike", 1, ["strike"], "Air force day parade"),
        reviewed(FeedbackKind.MISSED_TAG, "ceasefire", 2, [], "Both sides agreed a ceasefire"),
        reviewed(FeedbackKind.FALSE_ALARM, "strike", 3, ["strike"], "Still pending"),
    ):
        await store.add(record)
    # Enough accepted reports for the model to have something to fit (8 positives at least).
    for n in range(10, 19):
        for record in (
            reviewed(FeedbackKind.MISSED_TAG, "ceasefire", n, [], f"Truce agreed in sector {n}"),
            reviewed(FeedbackKind.FALSE_ALARM, "strike", n + 100, ["strike"], f"Air show {n}"),
        ):
            record.status = FeedbackStatus.ACCEPTED
            await store.add(record)
    await redis.aclose()
    assert "accepted f1" in await newswatch(server_env, "feedback", "accept", "f1", "--by", "rev")
    await newswatch(server_env, "feedback", "accept", "f2")
    with pytest.raises(AssertionError, match="no feedback 'nope'"):
        await newswatch(server_env, "feedback", "accept", "nope")
    listed = await newswatch(server_env, "feedback", "list", "--status", "pending")
    assert "f3" in listed and "f1" not in listed

    out = tmp_path / "feedback.jsonl"
    await newswatch(server_env, "feedback", "export", "--out", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 + 18, "accepted only: the pending report is not exported"
    assert rows[:2] == [
        {
            "id": f"fb-{1:032x}",
            "title": "Air force day parade",
            "summary": "",
            "tags": [],
            "lang": "en",
        },
        {
            "id": f"fb-{2:032x}",
            "title": "Both sides agreed a ceasefire",
            "summary": "",
            "tags": ["ceasefire"],
            "lang": "en",
        },
    ]
    assert {
        "id": f"fb-{10:032x}",
        "title": "Truce agreed in sector 10",
        "summary": "",
        "tags": ["ceasefire"],
        "lang": "en",
    } in rows
    assert {
        "id": f"fb-{110:032x}",
        "title": "Air show 10",
        "summary": "",
        "tags": [],
        "lang": "en",
    } in rows
    assert [e.id for e in read_examples(out)] == [r["id"] for r in rows]
    # The real training command takes it, on a tag folder of its own.
    tags = tmp_path / "tags"
    tags.mkdir()
    shutil.copy(ROOT / "tests" / "data" / "tags" / "ceasefire.yaml", tags)
    model = tmp_path / "model.json.gz"
    trained = await newswatch(
        server_env, "train", "--data", str(out), "--tags-dir", str(tags), "--out", str(model)
    )
    assert model.exists() and "wrote" in trained


async def test_eval_feedback_shows_the_precision_officers_see(env_settings, server_env):
    settings = AlerterSettings()
    redis = create_redis(settings)
    ledger = DeliveryLedger(redis, settings.redis_prefix)
    now = utc_now()
    # Four strike alerts and one sanctions alert this month; one strike alert long ago.
    made = [(n, "strike", now) for n in range(1, 5)]
    made += [(5, "sanctions", now), (6, "strike", now - timedelta(days=40))]
    async with redis.pipeline() as pipe:
        for n, tag, when in made:
            ledger.record(
                pipe,
                Delivery(
                    id=f"d{n}",
                    subscription_id="desk",
                    team="ops",
                    item_id=f"{n:032x}",
                    channel="slack",
                    target="…",
                    tags=[tag],
                    status="delivered",
                    created_at=when,
                    finished_at=when,
                ),
                first=True,
            )
        await pipe.execute()
    store = FeedbackStore(redis, settings.redis_prefix)
    for n, status in ((1, "accepted"), (2, "pending"), (3, "rejected")):
        record = reviewed(FeedbackKind.FALSE_ALARM, "strike", n, ["strike"], "t")
        record.status = FeedbackStatus(status)
        await store.add(record)
    await store.add(reviewed(FeedbackKind.MISSED_TAG, "arms_approval", 5, ["sanctions"], "t"))
    await redis.aclose()

    out = await newswatch(server_env, "eval", "--feedback")
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    # alerts, false alarms accepted, pending, precision seen, if accepted, missed acc., pending
    assert rows["strike"] == ["4", "1", "1", "0.500", "0.750", "0", "0"]
    assert rows["sanctions"] == ["1", "0", "0", "1.000", "1.000", "0", "0"]
    assert rows["arms_approval"] == ["0", "0", "0", "-", "-", "0", "1"]
    assert rows["overall"] == ["5", "1", "1", "0.600", "0.800", "0", "1"]
