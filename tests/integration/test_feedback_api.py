"""Officers' feedback against real Redis and Kafka: the API, the one-click link, the outbox."""

import json
import re
import time

import httpx
import jsonschema_rs
import pytest

from newswatch.alerter.api import create_app
from newswatch.alerter.feedback.snapshots import ItemSnapshots
from newswatch.alerter.feedback.store import FeedbackStore
from newswatch.alerter.feedback.tokens import LinkClaim, sign
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import Delivery, DeliveryAttempt, DeliveryStatus
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.redis import create_redis
from newswatch.shared.schemas import SCHEMA_DIR
from tests.factories import classified
from tests.integration.helpers import read_topic

pytestmark = [pytest.mark.redis, pytest.mark.kafka]

SECRET = "feedback-test-secret"
ITEM = classified(7, tags={"strike": 0.9, "sanctions": 0.7})  # what the alerter sent
ITEM_ID = ITEM.item.id


def delivery(team: str = "ops", delivery_id: str = "d-ops-1") -> Delivery:
    return Delivery(
        id=delivery_id,
        subscription_id="desk",
        team=team,
        item_id=ITEM_ID,
        story_id=ITEM_ID,
        channel="slack",
        target="…",
        tags=["strike"],
        status=DeliveryStatus.DELIVERED,
        attempts=[DeliveryAttempt(ok=True)],
    )


async def deliver(redis, settings: AlerterSettings, record: Delivery) -> None:
    """What the alerter leaves behind when it sends an alert: the record and the item."""
    async with redis.pipeline() as pipe:
        DeliveryLedger(redis, settings.redis_prefix).record(pipe, record, first=True)
        await pipe.execute()
    await ItemSnapshots(redis, settings.redis_prefix).remember(record.team, record.id, ITEM)


def make_client(settings: AlerterSettings, redis) -> httpx.AsyncClient:
    app = create_app(settings, redis=redis)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api")
    client.app = app  # type: ignore[attr-defined]
    return client


@pytest.fixture
async def api(env_settings):
    settings = AlerterSettings(feedback_secret=SECRET, public_url="https://nw.example")
    redis = create_redis(settings)
    await ensure_topics(settings, [settings.topics.feedback], partitions=1)
    async with make_client(settings, redis) as client:
        client.settings = settings  # type: ignore[attr-defined]
        client.redis = redis  # type: ignore[attr-defined]
        client.keys = ApiKeyStore(redis, settings.redis_prefix)  # type: ignore[attr-defined]
        yield client
        if getattr(client.app.state, "feedback", None):  # type: ignore[attr-defined]
            await client.app.state.feedback.publisher.close()  # type: ignore[attr-defined]
    await redis.aclose()


async def key_for(api, team: str) -> dict[str, str]:
    _, key = await api.keys.create(team, "test")
    return {"Authorization": f"Bearer {key}"}


def token(settings: AlerterSettings, *, team="ops", expires_in=3600.0, secret=SECRET) -> str:
    claim = LinkClaim(team, "d-ops-1", ITEM_ID, "strike", int(time.time() + expires_in))
    return sign(claim, secret)


async def test_a_false_alarm_is_stored_listed_and_published_with_a_valid_schema(
    api, kafka_bootstrap
):
    await deliver(api.redis, api.settings, delivery())
    ops = await key_for(api, "ops")
    body = {"kind": "false_alarm", "tag": "strike", "delivery_id": "d-ops-1", "comment": "a drill"}
    created = await api.post("/v1/feedback", json=body, headers=ops)
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["team"] == "ops" and record["status"] == "pending"
    assert record["item_id"] == ITEM_ID and record["story_id"] == ITEM_ID
    assert record["by"] != "link" and record["comment"] == "a drill"
    # The snapshot is what the alerter kept, not what a client could claim.
    assert record["item"] == {
        "title": "Missile strike hits Odesa port (7)",
        "summary": "A Russian missile struck the port of Odesa, killing 4 people.",
        "language": "en",
        "tags": ["strike", "sanctions"],
    }
    again = await api.post("/v1/feedback", json=body, headers=ops)
    assert again.status_code == 200 and again.json()["id"] == record["id"]

    listed = (await api.get("/v1/feedback", headers=ops)).json()
    assert [f["id"] for f in listed] == [record["id"]]
    assert (await api.get("/v1/feedback?status=accepted", headers=ops)).json() == []
    assert (await api.get("/v1/feedback?tag=sanctions", headers=ops)).json() == []

    records = await read_topic(kafka_bootstrap, api.settings.topics.feedback, expect=1)
    assert [r.key.decode() for r in records] == [record["id"]]
    schema = json.loads((SCHEMA_DIR / "feedback.v1.json").read_text())
    jsonschema_rs.validate(schema, json.loads(records[0].value))
    assert json.loads(records[0].value)["id"] == record["id"]


async def test_a_missed_tag_on_an_alerted_item_is_recorded(api):
    await deliver(api.redis, api.settings, delivery())
    ops = await key_for(api, "ops")
    body = {"kind": "missed_tag", "tag": "arms_approval", "item_id": ITEM_ID}
    created = await api.post("/v1/feedback", json=body, headers=ops)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "missed_tag" and created.json()["delivery_id"] == "d-ops-1"
    # A tag the classifier did give is not missed.
    given = await api.post("/v1/feedback", json=body | {"tag": "strike"}, headers=ops)
    assert given.status_code == 422 and "was tagged strike" in given.text


async def test_another_teams_deliveries_and_items_are_not_found(api):
    await deliver(api.redis, api.settings, delivery())
    intel = await key_for(api, "intel")
    by_delivery = {"kind": "false_alarm", "tag": "strike", "delivery_id": "d-ops-1"}
    assert (await api.post("/v1/feedback", json=by_delivery, headers=intel)).status_code == 404
    by_item = {"kind": "missed_tag", "tag": "arms_approval", "item_id": ITEM_ID}
    described = by_item | {"item": {"title": "anything"}}
    for body in (by_item, described):
        assert (await api.post("/v1/feedback", json=body, headers=intel)).status_code == 404
    assert (await api.get("/v1/feedback", headers=intel)).json() == []


async def test_unknown_tags_are_refused(api):
    await deliver(api.redis, api.settings, delivery())
    ops = await key_for(api, "ops")
    body = {"kind": "false_alarm", "tag": "strikes", "delivery_id": "d-ops-1"}
    response = await api.post("/v1/feedback", json=body, headers=ops)
    assert response.status_code == 422 and "unknown tag(s) strikes" in response.text


async def test_the_link_asks_on_get_and_records_once_on_post(api):
    await deliver(api.redis, api.settings, delivery())
    ops = await key_for(api, "ops")
    url = f"/v1/feedback/link?token={token(api.settings)}"
    page = await api.get(url)
    assert page.status_code == 200 and '<form method="post">' in page.text
    assert "Missile strike hits Odesa port (7)" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert (await api.get("/v1/feedback", headers=ops)).json() == [], "a GET records nothing"

    first = await api.post(url, data={"comment": "exercise <b>only</b>"})
    assert first.status_code == 201 and "Thank you" in first.text
    second = await api.post(url, data={"comment": "again"})
    assert second.status_code == 200 and "Already recorded" in second.text
    listed = (await api.get("/v1/feedback", headers=ops)).json()
    assert len(listed) == 1
    assert listed[0]["by"] == "link" and listed[0]["comment"] == "exercise <b>only</b>"
    assert listed[0]["kind"] == "false_alarm" and listed[0]["delivery_id"] == "d-ops-1"


async def test_expired_and_forged_links_are_refused_with_a_page(api):
    await deliver(api.redis, api.settings, delivery())
    ops = await key_for(api, "ops")
    expired = f"/v1/feedback/link?token={token(api.settings, expires_in=-1)}"
    forged = f"/v1/feedback/link?token={token(api.settings, secret='guessed')}"
    for method in ("GET", "POST"):
        response = await api.request(method, expired)
        assert response.status_code == 400 and "expired" in response.text
        response = await api.request(method, forged)
        assert response.status_code == 403 and "not issued by newswatch" in response.text
        assert response.headers["content-type"].startswith("text/html")
    assert (await api.get("/v1/feedback", headers=ops)).json() == []


async def test_feedback_recorded_while_kafka_is_down_is_published_later(
    api, env_settings, kafka_bootstrap
):
    await deliver(api.redis, api.settings, delivery())
    ops = await key_for(api, "ops")
    # The same API and Redis, with Kafka unreachable (a port nothing listens on).
    down = api.settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:9"})
    async with make_client(down, api.redis) as client:
        body = {"kind": "false_alarm", "tag": "strike", "delivery_id": "d-ops-1"}
        created = await client.post("/v1/feedback", json=body, headers=ops)
        assert created.status_code == 201, created.text
        await client.app.state.feedback.publisher.close()
    store = FeedbackStore(api.redis, api.settings.redis_prefix)
    waiting = await store.unpublished()
    assert [r.id for r, _ in waiting] == [created.json()["id"]], "kept in the outbox"

    # Kafka is back: the next write flushes the outbox too.
    second = {"kind": "missed_tag", "tag": "arms_approval", "item_id": ITEM_ID}
    assert (await api.post("/v1/feedback", json=second, headers=ops)).status_code == 201
    records = await read_topic(kafka_bootstrap, api.settings.topics.feedback, expect=2)
    assert {r.key.decode() for r in records} == {
        created.json()["id"],
        _id_of(records, "missed_tag"),
    }
    assert await store.unpublished() == []


def _id_of(records, kind: str) -> str:
    return next(json.loads(r.value)["id"] for r in records if json.loads(r.value)["kind"] == kind)


def test_link_tokens_in_urls_need_no_escaping():
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", token(AlerterSettings()))
