"""Schemathesis against the real API process (uvicorn) and a real Redis: no finding allowed.

Every operation of the OpenAPI document is called with generated requests, valid
and invalid, with a fixed seed and 8 examples per operation (about 30 s); every answer
must be documented (status, headers, body schema) and none may be a 5xx.
"""

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, seed, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from newswatch.alerter.api import create_app
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.openapi import OPENAPI_FILE
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.redis import create_redis
from tests.servers import free_port

pytestmark = [pytest.mark.redis]


@dataclass
class ServedApi:
    base_url: str
    key: str


async def _create_key(settings: AlerterSettings) -> str:
    redis = create_redis(settings)
    try:
        _, key = await ApiKeyStore(redis, settings.redis_prefix).create("fuzz")
    finally:
        await redis.aclose()
    return key


@pytest.fixture(scope="module")
def served_api(redis_url: str) -> Iterator[ServedApi]:
    settings = AlerterSettings(
        redis_url=redis_url,
        topic_prefix=f"nwtest-{uuid.uuid4().hex[:10]}",
        # Generated requests include wrong keys by design; the lockout has its own tests.
        api_auth_failure_limit=0,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the API did not start"
        time.sleep(0.05)
    try:
        yield ServedApi(f"http://127.0.0.1:{port}", asyncio.run(_create_key(settings)))
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# The committed document (test_alerter_api checks that it is the app's own), loaded at
# collection: schemathesis's lazy fixture loader does not work with pytest 9.
schema = schemathesis.openapi.from_path(OPENAPI_FILE)


@schema.parametrize()
@seed(20261129)
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, served_api: ServedApi):
    case.call_and_validate(
        base_url=served_api.base_url,
        headers={"X-API-Key": served_api.key},
        # Data the schema allows may still be refused with 422 for reasons a schema cannot
        # state: tags the classifier does not produce, targets the address policy refuses.
        excluded_checks=[positive_data_acceptance],
    )
