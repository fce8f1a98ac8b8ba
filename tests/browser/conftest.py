"""The console's browser tests: Debian's Chromium driven headless by Playwright, against a
real ``newswatch api`` process, the shared Redis and Kafka, and stories written through the
alerter's own story store.

Chromium comes from ``deploy/local/chromium.sh install`` (``make infra``); Playwright's own
browser downloads are never used. Without Chromium the tests skip, and with CI=true fail.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from redis.asyncio import Redis

from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.redis import create_redis
from tests.browser.stack import CHROMIUM, CHROMIUM_ARGS, ApiProcess, WebhookReceiver
from tests.conftest import unavailable


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test needs Redis and Kafka (so `make test-unit` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.redis)
            item.add_marker(pytest.mark.kafka)


@dataclass
class Stack:
    prefix: str
    env: dict[str, str]
    settings: AlerterSettings
    redis: Redis
    api: ApiProcess
    keys: ApiKeyStore
    hook: WebhookReceiver

    async def key(self, team: str = "ops", name: str = "desk officer") -> str:
        return (await self.keys.create(team, name))[1]


def stack_env(kafka: str, redis_url: str, prefix: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka,
        "REDIS_URL": redis_url,
        "NEWSWATCH_TOPIC_PREFIX": prefix,
        "NEWSWATCH_TOPIC_PARTITIONS": "1",
        "NEWSWATCH_ALERTER_ALLOWED_NETWORKS": "127.0.0.0/8",
    }


@pytest.fixture(scope="module")
def chromium() -> str:
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM}: run deploy/local/chromium.sh install")
    return CHROMIUM


@pytest.fixture(scope="module")
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
async def stack(
    kafka_bootstrap: str, redis_url: str, hook: WebhookReceiver
) -> AsyncIterator[Stack]:
    """One API process per test module, with a key prefix of the module's own."""
    prefix = f"nwtest-{uuid.uuid4().hex[:10]}"
    env = stack_env(kafka_bootstrap, redis_url, prefix)
    settings = AlerterSettings(
        kafka_bootstrap_servers=kafka_bootstrap, redis_url=redis_url, topic_prefix=prefix
    )
    # As `newswatch topics create` would: feedback is published to its topic.
    await ensure_topics(settings, [settings.topics.feedback], partitions=1)
    redis = create_redis(settings)
    api = ApiProcess(env)
    try:
        api.start()
    except RuntimeError as exc:
        await redis.aclose()
        unavailable(str(exc))
    yield Stack(prefix, env, settings, redis, api, ApiKeyStore(redis, prefix), hook)
    api.stop()
    await redis.aclose()


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser) -> AsyncIterator[object]:  # type: ignore[no-untyped-def]
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    opened = await context.new_page()
    yield opened
    await context.close()
