"""The API while its Redis is away: 503 with a reason and Retry-After, health says which
dependency is down, and the same process serves again as soon as Redis is back."""

import asyncio

import httpx
import pytest

from newswatch.alerter.api import create_app
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.redis import create_redis
from tests.servers import PrivateRedis

pytestmark = [pytest.mark.redis]

SUBSCRIPTION = {"id": "desk", "tags": ["strike"], "channels": [{"kind": "console"}]}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["Retry-After"]) > 0
    (entry,) = response.json()["detail"]
    assert entry["type"] == "unavailable" and entry["loc"] == ["redis"]
    assert "Redis" in entry["msg"] or "redis" in entry["msg"]


@pytest.mark.parametrize("outage", ["stop", "kill9"])
async def test_api_answers_503_while_redis_is_down_and_recovers_without_a_restart(
    private_redis: PrivateRedis, prefix: str, outage: str
):
    settings = AlerterSettings(redis_url=private_redis.url, topic_prefix=prefix)
    redis = create_redis(settings)
    _, key = await ApiKeyStore(redis, settings.redis_prefix).create("ops")
    ops = {"X-API-Key": key}
    transport = httpx.ASGITransport(app=create_app(settings, redis=redis))
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
        created = await api.post("/v1/subscriptions", json=SUBSCRIPTION, headers=ops)
        assert created.status_code == 201, created.text
        health = await api.get("/v1/health")
        assert health.status_code == 200
        assert health.json()["dependencies"]["redis"] == {"status": "ok", "error": None}

        await asyncio.to_thread(getattr(private_redis, outage))

        assert_unavailable(await api.get("/v1/subscriptions", headers=ops))
        assert_unavailable(await api.get("/v1/me", headers=ops))
        assert_unavailable(await api.post("/v1/subscriptions", json=SUBSCRIPTION, headers=ops))
        assert_unavailable(await api.get("/v1/deliveries/failed", headers=ops))
        health = await api.get("/v1/health")
        assert health.status_code == 503 and int(health.headers["Retry-After"]) > 0
        report = health.json()
        assert report["status"] == "down"
        assert report["dependencies"]["redis"]["status"] == "down"
        assert "onnect" in report["dependencies"]["redis"]["error"]  # Connection refused/Error
        assert report["detail"][0]["loc"] == ["redis"]

        await asyncio.to_thread(private_redis.start)

        # The same app and client: the first request after Redis is back is served.
        listed = await api.get("/v1/subscriptions", headers=ops)
        assert listed.status_code == 200, listed.text
        assert [s["id"] for s in listed.json()] == ["desk"], "the data came back with Redis"
        health = await api.get("/v1/health")
        assert health.status_code == 200 and health.json()["status"] == "ok"
    await redis.aclose()
