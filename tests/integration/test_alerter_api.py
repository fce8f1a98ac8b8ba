"""The subscriptions API against a real Redis: keys, teams, CRUD, checks, delivery logs."""

import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from newswatch.alerter.api import create_app
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import Delivery, DeliveryAttempt, DeliveryStatus
from newswatch.shared.redis import create_redis

pytestmark = [pytest.mark.redis]

HOOK = "https://93.184.215.14/hooks/abc"


@pytest.fixture
async def api(env_settings):
    settings = AlerterSettings(allowed_networks="127.0.0.0/8")
    redis = create_redis(settings)
    app = create_app(settings, redis=redis)
    keys = ApiKeyStore(redis, settings.redis_prefix)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as client:
        client.keys = keys  # type: ignore[attr-defined]
        client.ledger = DeliveryLedger(redis, settings.redis_prefix)  # type: ignore[attr-defined]
        client.redis = redis  # type: ignore[attr-defined]
        yield client
    await redis.aclose()


async def key_for(api, team: str) -> dict[str, str]:
    _, key = await api.keys.create(team, "test")
    return {"Authorization": f"Bearer {key}"}


def body(**overrides) -> dict:
    return {
        "id": "desk",
        "tags": ["strike"],
        "countries": ["ua"],
        "channels": [{"kind": "webhook", "target": HOOK, "options": {"secret": "s3cret"}}],
        **overrides,
    }


async def test_missing_wrong_and_revoked_keys_get_401(api):
    assert (await api.get("/v1/subscriptions")).status_code == 401
    assert (
        await api.get("/v1/subscriptions", headers={"X-API-Key": "nwk_x_wrong"})
    ).status_code == 401
    record, key = await api.keys.create("ops")
    assert (await api.get("/v1/subscriptions", headers={"X-API-Key": key})).status_code == 200
    await api.keys.revoke(record.id)
    response = await api.get("/v1/subscriptions", headers={"X-API-Key": key})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_keys_are_stored_only_as_hashes(api):
    _, key = await api.keys.create("ops")
    stored = b"".join(k + v for k, v in (await api.redis.hgetall(api.keys._keys)).items())
    secret = key.split("_", 2)[2]  # nwk_<id>_<secret>; the secret may hold "_" itself
    assert key.encode() not in stored and secret.encode() not in stored


async def test_a_team_creates_reads_updates_lists_and_deletes_its_subscriptions(api):
    ops = await key_for(api, "ops")
    created = await api.post("/v1/subscriptions", json=body(), headers=ops)
    assert created.status_code == 201, created.text
    sub = created.json()
    assert sub["team"] == "ops" and sub["countries"] == ["UA"]
    assert sub["channels"][0]["options"]["secret"] == "***", "secrets are write-only"
    assert (await api.post("/v1/subscriptions", json=body(), headers=ops)).status_code == 409
    patched = await api.patch(
        "/v1/subscriptions/desk", json={"min_confidence": 0.8, "mode": "digest"}, headers=ops
    )
    assert patched.status_code == 200 and patched.json()["mode"] == "digest"
    assert patched.json()["created_at"] == sub["created_at"]
    # Echoing the masked secret back keeps the stored one.
    replaced = await api.put(
        "/v1/subscriptions/desk", json=patched.json() | {"name": "Desk"}, headers=ops
    )
    assert replaced.status_code == 200
    raw = await api.redis.hget(
        api.keys._keys.replace(":api:keys", ":alerter:subscriptions"), "ops/desk"
    )
    assert b"s3cret" in raw
    listed = (await api.get("/v1/subscriptions", headers=ops)).json()
    assert [s["id"] for s in listed] == ["desk"] and listed[0]["name"] == "Desk"
    assert (await api.delete("/v1/subscriptions/desk", headers=ops)).status_code == 204
    assert (await api.get("/v1/subscriptions/desk", headers=ops)).status_code == 404


async def test_ids_are_generated_when_absent(api):
    ops = await key_for(api, "ops")
    created = await api.post("/v1/subscriptions", json=body(id=None), headers=ops)
    assert created.status_code == 201 and created.json()["id"].startswith("sub-")


async def test_a_team_cannot_see_or_touch_another_teams_subscriptions_or_deliveries(api):
    ops, intel = await key_for(api, "ops"), await key_for(api, "intel")
    assert (await api.post("/v1/subscriptions", json=body(), headers=ops)).status_code == 201
    for method, path in [
        ("GET", "/v1/subscriptions/desk"),
        ("PATCH", "/v1/subscriptions/desk"),
        ("DELETE", "/v1/subscriptions/desk"),
        ("GET", "/v1/subscriptions/desk/deliveries"),
    ]:
        response = await api.request(
            method, path, headers=intel, json={} if method == "PATCH" else None
        )
        assert response.status_code == 404, (method, path)
    assert (await api.get("/v1/subscriptions", headers=intel)).json() == []
    stolen = await api.post("/v1/subscriptions", json=body(team="ops", id="x"), headers=intel)
    assert stolen.status_code == 403
    delivery = Delivery(
        id="d1",
        subscription_id="desk",
        team="ops",
        item_id="i",
        channel="webhook",
        target="…",
        status=DeliveryStatus.DELIVERED,
        attempts=[DeliveryAttempt(ok=True)],
    )
    async with api.redis.pipeline() as pipe:
        api.ledger.record(pipe, delivery, first=True)
        await pipe.execute()
    assert (await api.get("/v1/deliveries/d1", headers=intel)).status_code == 404
    assert (await api.get("/v1/deliveries/d1", headers=ops)).json()["status"] == "delivered"
    log = (await api.get("/v1/subscriptions/desk/deliveries", headers=ops)).json()
    assert [d["id"] for d in log] == ["d1"]


@pytest.mark.parametrize(
    ("target", "allowed"),
    [
        ("http://127.0.0.1:9/hook", True),  # allowed by this test's setting
        ("http://10.0.0.8/hook", False),
        ("http://169.254.169.254/latest/meta-data", False),
        ("http://[::1]/hook", False),
    ],
)
async def test_private_urls_are_refused_on_save_unless_allowlisted(api, target, allowed):
    ops = await key_for(api, "ops")
    response = await api.post(
        "/v1/subscriptions", json=body(channels=[{"kind": "slack", "target": target}]), headers=ops
    )
    assert response.status_code == (201 if allowed else 422), response.text


async def test_invalid_subscriptions_are_refused_with_the_reason(api):
    ops = await key_for(api, "ops")
    response = await api.post(
        "/v1/subscriptions", json=body(tags=[], countries=["Ukraine"]), headers=ops
    )
    assert response.status_code == 422 and "country codes" in response.text


async def test_a_tag_the_classifier_does_not_produce_is_refused(api):
    ops = await key_for(api, "ops")
    response = await api.post("/v1/subscriptions", json=body(tags=["strikes"]), headers=ops)
    assert response.status_code == 422 and "unknown tag(s) strikes" in response.text


async def test_the_committed_openapi_document_matches_the_app(api):
    from newswatch.alerter.openapi import OPENAPI_FILE, render_openapi

    assert OPENAPI_FILE.read_text() == render_openapi(), "run `make schemas`"


async def _fail(api, delivery_id: str, team: str, sub_id: str, channel: str, hours_ago: float):
    """A delivery that failed for good ``hours_ago``: its record in the ledger and its id in
    the failed index (``failed.py``: a sorted set scored by when it failed), at a known time."""
    delivery = Delivery(
        id=delivery_id,
        subscription_id=sub_id,
        team=team,
        item_id="i",
        channel=channel,
        target="…",
        status=DeliveryStatus.FAILED,
        attempts=[DeliveryAttempt(ok=False, error="HTTP 404")],
    )
    failed_index = f"{AlerterSettings().redis_prefix}:alerter:failed"
    async with api.redis.pipeline(transaction=True) as pipe:
        api.ledger.record(pipe, delivery, first=True)
        pipe.zadd(failed_index, {delivery_id: time.time() - hours_ago * 3600})
        await pipe.execute()


async def test_failed_deliveries_are_listed_per_team_filtered_and_paged(api):
    ops, intel = await key_for(api, "ops"), await key_for(api, "intel")
    await _fail(api, "f1", "ops", "desk", "webhook", hours_ago=3)
    await _fail(api, "f2", "ops", "desk", "slack", hours_ago=2)
    await _fail(api, "f3", "ops", "wire", "webhook", hours_ago=1)
    await _fail(api, "f4", "intel", "desk", "webhook", hours_ago=0.5)

    async def ids(headers, **params) -> list[str]:
        response = await api.get("/v1/deliveries/failed", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()["items"]]

    assert await ids(ops) == ["f3", "f2", "f1"], "newest failure first, own team only"
    assert await ids(intel) == ["f4"]
    assert await ids(ops, subscription_id="desk") == ["f2", "f1"]
    assert await ids(ops, channel="webhook") == ["f3", "f1"]
    now = datetime.now(UTC)
    assert await ids(ops, since=(now - timedelta(hours=2.5)).isoformat()) == ["f3", "f2"]
    assert await ids(ops, until=(now - timedelta(hours=1.5)).isoformat()) == ["f2", "f1"]
    naive_utc = (now - timedelta(hours=2.5)).replace(tzinfo=None).isoformat()
    assert await ids(ops, since=naive_utc) == ["f3", "f2"], "a time without a zone is UTC"

    first = (await api.get("/v1/deliveries/failed", params={"limit": 2}, headers=ops)).json()
    assert [d["id"] for d in first["items"]] == ["f3", "f2"] and first["next_offset"] == 2
    params = {"limit": 2, "offset": 2}
    rest = (await api.get("/v1/deliveries/failed", params=params, headers=ops)).json()
    assert [d["id"] for d in rest["items"]] == ["f1"] and rest["next_offset"] is None
    assert rest["items"][0]["status"] == "failed"
    assert (await api.get("/v1/deliveries/failed")).status_code == 401
    bad = await api.get("/v1/deliveries/failed", params={"limit": 0}, headers=ops)
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["query", "limit"]
