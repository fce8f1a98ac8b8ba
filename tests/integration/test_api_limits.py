"""What the API refuses before doing work, and the one shape of every error it answers with."""

import httpx
import pytest

from newswatch.alerter.api import create_app
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.web.errors import ErrorResponse
from newswatch.shared.redis import create_redis

pytestmark = [pytest.mark.redis]

HOOK = "https://93.184.215.14/hooks/abc"
LIMIT = 5  # failed keys per address / key id in these tests


@pytest.fixture
async def redis(env_settings):
    client = create_redis(AlerterSettings())
    yield client
    await client.aclose()


@pytest.fixture
def app(redis):
    settings = AlerterSettings(api_auth_failure_limit=LIMIT, api_auth_lockout_seconds=60)
    return create_app(settings, redis=redis)


def client_at(app, address: str) -> httpx.AsyncClient:
    """A client whose requests come from ``address`` (as uvicorn would report it)."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://api")


@pytest.fixture
async def key(redis) -> str:
    _, key = await ApiKeyStore(redis, AlerterSettings().redis_prefix).create("ops")
    return key


def subscription(**overrides) -> dict:
    return {"tags": ["strike"], "channels": [{"kind": "webhook", "target": HOOK}], **overrides}


def error(response: httpx.Response) -> list[dict]:
    """The error's entries, after checking the body has the documented shape."""
    return ErrorResponse.model_validate(response.json()).model_dump()["detail"]


async def test_a_ten_megabyte_body_is_refused_with_413_before_it_is_read(app, key):
    huge = b'{"tags": ["strike"], "name": "' + b"x" * 10_000_000 + b'"}'
    async with client_at(app, "10.0.0.1") as api:
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        response = await api.post("/v1/subscriptions", content=huge, headers=headers)
        assert response.status_code == 413
        assert "larger than 65536 bytes" in error(response)[0]["msg"]

        async def chunks():  # no Content-Length: counted while read
            for _ in range(200):
                yield b" " * 65_536

        response = await api.post("/v1/subscriptions", content=chunks(), headers=headers)
        assert response.status_code == 413, response.text
        # A padded body that would be valid JSON if cut at the limit is not acted on either.
        padded = b'{"id": "padded", "tags": ["strike"], "channels": [{"kind": "console"}]}'
        padded += b" " * 70_000

        async def padded_chunks():
            yield padded[:60_000]
            yield padded[60_000:]

        response = await api.post("/v1/subscriptions", content=padded_chunks(), headers=headers)
        assert response.status_code == 413
        assert (await api.get("/v1/subscriptions/padded", headers=headers)).status_code == 404
        # Under the limit, the same request is served.
        response = await api.post("/v1/subscriptions", content=padded[:60_000], headers=headers)
        assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("field", "count"),
    [("keywords", 201), ("exclude_keywords", 201), ("tags", 51), ("sources", 201)],
)
async def test_long_lists_are_refused_naming_the_field(app, key, field, count):
    too_many = {field: [f"w{n}" for n in range(count)]}
    async with client_at(app, "10.0.0.2") as api:
        headers = {"X-API-Key": key}
        response = await api.post(
            "/v1/subscriptions", json=subscription(**too_many), headers=headers
        )
        assert response.status_code == 422
        assert error(response)[0]["loc"] == ["body", field]
        created = await api.post("/v1/subscriptions", json=subscription(id="s"), headers=headers)
        assert created.status_code == 201
        response = await api.patch("/v1/subscriptions/s", json=too_many, headers=headers)
        assert response.status_code == 422 and error(response)[0]["loc"] == ["body", field]


async def test_fifty_thousand_keywords_never_reach_the_store(app, key):
    body = subscription(keywords=[f"k{n}" for n in range(50_000)])
    async with client_at(app, "10.0.0.3") as api:
        response = await api.post("/v1/subscriptions", json=body, headers={"X-API-Key": key})
    assert response.status_code == 413


async def test_wrong_keys_lock_out_the_address_with_429_and_retry_after(app, key):
    async with client_at(app, "10.0.1.1") as guesser, client_at(app, "10.0.1.2") as other:
        for n in range(LIMIT):
            wrong = {"X-API-Key": f"nwk_{n:012x}_guess"}
            assert (await guesser.get("/v1/me", headers=wrong)).status_code == 401
        locked = await guesser.get("/v1/me", headers={"X-API-Key": "nwk_aaaaaaaaaaaa_guess"})
        assert locked.status_code == 429
        assert 55 <= int(locked.headers["Retry-After"]) <= 60
        assert error(locked)[0]["type"] == "rate_limited"
        # Locked out means locked out: the right key from that address waits too ...
        assert (await guesser.get("/v1/me", headers={"X-API-Key": key})).status_code == 429
        # ... while another address is served.
        assert (await other.get("/v1/me", headers={"X-API-Key": key})).status_code == 200


async def test_wrong_secrets_for_one_key_id_lock_that_key_id_out_from_every_address(app, key):
    key_id = key.split("_")[1]
    for n in range(LIMIT):  # one guess from each of many addresses
        async with client_at(app, f"10.0.2.{n}") as api:
            response = await api.get("/v1/me", headers={"X-API-Key": f"nwk_{key_id}_guess{n}"})
            assert response.status_code == 401
    async with client_at(app, "10.0.2.200") as fresh:
        response = await fresh.get("/v1/me", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 429 and "key id" in error(response)[0]["msg"]
        assert int(response.headers["Retry-After"]) > 0


async def test_a_missing_key_is_not_counted_as_a_guess(app, key):
    async with client_at(app, "10.0.3.1") as api:
        for _ in range(LIMIT * 2):
            assert (await api.get("/v1/subscriptions")).status_code == 401
        assert (await api.get("/v1/me", headers={"X-API-Key": key})).status_code == 200


async def test_a_valid_key_beside_an_invalid_credential_is_refused(app, key):
    async with client_at(app, "10.0.4.1") as api:
        both = {"X-API-Key": key, "Authorization": "Bearer nwk_000000000000_wrong"}
        assert (await api.get("/v1/me", headers=both)).status_code == 401
        malformed = {"X-API-Key": key, "Authorization": "Basic Zm9vOmJhcg=="}
        assert (await api.get("/v1/me", headers=malformed)).status_code == 401
        same = {"X-API-Key": key, "Authorization": f"Bearer {key}"}
        assert (await api.get("/v1/me", headers=same)).status_code == 200


async def test_every_error_status_has_the_documented_list_shape(app, key):
    async with client_at(app, "10.0.5.1") as api:
        ops = {"X-API-Key": key}
        await api.post("/v1/subscriptions", json=subscription(id="desk"), headers=ops)
        answers = {
            401: await api.get("/v1/subscriptions"),
            403: await api.post("/v1/subscriptions", json=subscription(team="intel"), headers=ops),
            404: await api.get("/v1/subscriptions/nope", headers=ops),
            405: await api.post("/v1/subscriptions/desk", json={}, headers=ops),
            409: await api.post("/v1/subscriptions", json=subscription(id="desk"), headers=ops),
            422: await api.post(
                "/v1/subscriptions", json=subscription(tags=["strikes"]), headers=ops
            ),
        }
        answers[400] = await api.post(
            "/v1/subscriptions", content=b"{}", headers={**ops, "Content-Length": "x"}
        )
    for status, response in answers.items():
        assert response.status_code == status, (status, response.text)
        (entry,) = error(response)
        assert entry["msg"] and entry["type"], (status, entry)
    assert answers[422].json()["detail"][0]["loc"] == ["body", "tags"]
    assert "unknown tag(s) strikes" in answers[422].text
    assert answers[405].headers["Allow"] == "DELETE, GET, PATCH, PUT"


async def test_every_error_status_is_documented_with_the_error_model():
    document = create_app(AlerterSettings()).openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and path != "/v1/health":
                    schema = response["content"]["application/json"]["schema"]["$ref"]
                    assert schema.endswith("/ErrorResponse"), (method, path, status)
            statuses = set(operation["responses"])
            expected = {"400", "413"} | ({"401", "429", "503"} if path != "/v1/health" else {"503"})
            assert expected <= statuses, (method, path, expected - statuses)
    assert "HTTPValidationError" not in document["components"]["schemas"]
