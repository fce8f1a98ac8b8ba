"""``make screenshots``: PNGs of the console's main pages, from a seeded stack, in
docs/screenshots/.

Uses ``REDIS_URL`` when set (keys under a prefix of its own, removed afterwards), else
starts a Redis of its own through deploy/local/redis.sh. Kafka is not needed: nothing
here publishes.
"""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.stories import StoryBook
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.alerter.web.console.acks import AckStore
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.schedule import FeedHealth
from newswatch.shared.contracts import (
    ChannelTarget,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    Subscription,
)
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.redis import create_redis
from tests.browser import seed
from tests.browser.stack import CHROMIUM, CHROMIUM_ARGS, ROOT, ApiProcess, sign_in

OUT = ROOT / "docs" / "screenshots"
OWN_REDIS = {"REDIS_PORT": "16398", "NEWSWATCH_RUN_DIR": str(ROOT / ".run" / "screenshots")}


@contextmanager
def redis_server() -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    script = str(ROOT / "deploy/local/redis.sh")
    env = {**os.environ, **OWN_REDIS}
    subprocess.run([script, "start"], env=env, check=True)
    try:
        yield f"redis://127.0.0.1:{OWN_REDIS['REDIS_PORT']}/0"
    finally:
        subprocess.run([script, "stop"], env=env, check=False)


async def populate(settings: AlerterSettings) -> tuple[str, str]:
    """The demo stories, a subscription and its deliveries, feeds; an officer's and an
    administrator's key."""
    redis = create_redis(settings)
    prefix = settings.redis_prefix
    try:
        stories = await seed.write(redis, prefix, [seed.report(d) for d in seed.DEMO], StoryBook())
        kharkiv = next(s for s in stories if s.title == seed.KHARKIV.title)
        await SubscriptionStore(redis, prefix).save(
            Subscription(
                id="ua-strikes",
                name="Strikes in Ukraine",
                team="watch",
                tags=["strike"],
                countries=["UA"],
                channels=[
                    ChannelTarget(
                        kind="webhook",
                        target="https://ops.example.org/hooks/nw",
                        options={"secret": "s"},
                    ),
                    ChannelTarget(kind="email", target="desk@example.org"),
                ],
            )
        )
        async with redis.pipeline(transaction=True) as pipe:
            for n, (channel, status) in enumerate(
                [("webhook", DeliveryStatus.DELIVERED), ("email", DeliveryStatus.DELIVERED)]
            ):
                DeliveryLedger(redis, prefix).record(
                    pipe,
                    Delivery(
                        id=f"shot-{n}",
                        subscription_id="ua-strikes",
                        team="watch",
                        item_id=kharkiv.id,
                        story_id=kharkiv.id,
                        channel=channel,
                        target="https://ops.example.org/…"
                        if channel == "webhook"
                        else "desk@example.org",
                        tags=["strike"],
                        status=status,
                        attempts=[DeliveryAttempt(ok=True, status_code=204)],
                        latency_ms=850.0,
                    ),
                    first=True,
                )
            await pipe.execute()
        await AckStore(redis, prefix).ack("watch", stories[0].id, "night desk")
        registry = FeedRegistry(redis, prefix)
        feeds = [
            FeedSpec(url="https://watchwire.example/rss", name="Watch Wire"),
            FeedSpec(url="https://capitaldesk.example/rss", name="Capital Desk"),
            FeedSpec(url="https://slow.example/feed.xml", name="Slow Gazette"),
        ]
        await registry.add_missing(feeds)
        now = utc_now()
        for spec in feeds[:2]:
            await registry.save_health(
                spec.id, FeedHealth(interval_seconds=120, last_success_at=now, entries_per_day=38.5)
            )
        await registry.save_health(
            feeds[2].id,
            FeedHealth(
                interval_seconds=600,
                last_error_at=now,
                last_error_kind="timeout",
                last_error="no answer within 60 s",
                consecutive_failures=5,
            ),
        )
        keys = ApiKeyStore(redis, prefix)
        return (await keys.create("watch", "night desk"))[1], (
            await keys.create("admin", "ops lead")
        )[1]
    finally:
        await redis.aclose()


async def forget(settings: AlerterSettings) -> None:
    redis = create_redis(settings)
    try:
        async for name in redis.scan_iter(f"{settings.redis_prefix}:*", count=1000):
            await redis.unlink(name)
    finally:
        await redis.aclose()


async def shoot(base: str, officer: str, admin: str) -> list[Path]:
    from playwright.async_api import async_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        laptop = await browser.new_context(viewport={"width": 1280, "height": 860})
        page = await laptop.new_page()
        await page.goto(base + "/login")
        written.append(await _shot(page, "login"))
        await sign_in(page, base, officer)
        await page.wait_for_selector("#live.on")
        written.append(await _shot(page, "stories"))
        await page.locator("article.story h2 a", has_text="Kharkiv").first.click()
        await page.wait_for_selector(".timeline")
        written.append(await _shot(page, "story", full=True))
        await page.goto(base + "/subscriptions")
        written.append(await _shot(page, "subscriptions"))
        await page.goto(base + "/subscriptions/ua-strikes/edit")
        written.append(await _shot(page, "subscription-edit", full=True))
        await laptop.close()
        phone = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = await phone.new_page()
        await sign_in(page, base, officer)
        await page.wait_for_selector("#live.on")
        written.append(await _shot(page, "stories-phone"))
        await phone.close()
        admin_context = await browser.new_context(viewport={"width": 1280, "height": 600})
        page = await admin_context.new_page()
        await sign_in(page, base, admin, "/feeds")
        written.append(await _shot(page, "feeds"))
        await browser.close()
    return written


async def _shot(page, name: str, full: bool = False) -> Path:  # type: ignore[no-untyped-def]
    path = OUT / f"{name}.png"
    await page.screenshot(path=str(path), full_page=full)
    return path


def main() -> int:
    if not os.access(CHROMIUM, os.X_OK):
        print(f"no Chromium at {CHROMIUM}: run deploy/local/chromium.sh install", file=sys.stderr)
        return 1
    prefix = f"screenshots-{uuid.uuid4().hex[:8]}"
    with redis_server() as redis_url:
        settings = AlerterSettings(redis_url=redis_url, topic_prefix=prefix)
        officer, admin = asyncio.run(populate(settings))
        api = ApiProcess({"REDIS_URL": redis_url, "NEWSWATCH_TOPIC_PREFIX": prefix}).start()
        try:
            for path in asyncio.run(shoot(api.url, officer, admin)):
                print(f"wrote {path.relative_to(ROOT)}")
        finally:
            api.stop()
            asyncio.run(forget(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
