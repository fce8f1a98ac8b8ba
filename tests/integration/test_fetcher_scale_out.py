"""Two fetcher processes share the registered feeds; when one is killed, the other takes them."""

import asyncio
import signal
import time
from datetime import UTC, datetime

import pytest

from newswatch.demo.feed import Story, render_rss
from newswatch.demo.receivers import HttpServer, Response
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.kafka import ensure_topics
from newswatch.shared.redis import create_redis
from tests.integration.helpers import start_fetcher_process, until

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
FEEDS = 12


async def test_two_instances_never_poll_a_feed_twice_and_survivors_take_over(server_env):
    http = HttpServer().start()
    log: list[tuple[float, str, str]] = []
    now = datetime.now(UTC)
    for n in range(FEEDS):
        body = render_rss(f"F{n}", http.url, [(f"f{n}", Story(f"Story {n}", "Text."), now)])

        def serve(request, body=body):
            log.append((time.monotonic(), request.headers.get("user-agent", ""), request.path))
            return Response(200, body, {"Content-Type": "application/rss+xml"})

        http.routes[f"/f{n}.xml"] = serve
    settings = FetcherSettings(**{k: v for k, v in server_env.items()})
    await ensure_topics(settings, [settings.topics.items])
    redis = create_redis(settings)
    registry = FeedRegistry(redis, settings.redis_prefix)
    await registry.add_missing(
        [FeedSpec(url=f"{http.url}/f{n}.xml", interval_seconds=1) for n in range(FEEDS)]
    )
    fast = {
        "max_interval_seconds": "1.5",
        "registry_refresh_seconds": "0.5",
        "lease_ttl_seconds": "3",
    }
    a = start_fetcher_process(server_env, user_agent="instance-a", **fast)
    b = start_fetcher_process(server_env, user_agent="instance-b", **fast)
    try:
        # Both hold a share once leases settle; then, over a window, each feed has one poller.
        await until(lambda: len({ua for _, ua, _ in log[-FEEDS * 2 :]}) == 2, within=60)
        await asyncio.sleep(4)
        window_start = time.monotonic()
        await asyncio.sleep(5)
        window = [(ua, path) for t, ua, path in log if t >= window_start]
        pollers = {path: {ua for ua, p in window if p == path} for _, path in window}
        assert len(pollers) == FEEDS, "every feed is polled"
        assert all(len(uas) == 1 for uas in pollers.values()), pollers
        shares = {
            ua: sum(1 for uas in pollers.values() if ua in uas)
            for ua in ("instance-a", "instance-b")
        }
        assert shares == {"instance-a": FEEDS // 2, "instance-b": FEEDS // 2}

        a.send_signal(signal.SIGKILL)  # no goodbye: its leases must lapse on their own
        killed = time.monotonic()
        await until(
            lambda: len({p for t, ua, p in log if t > killed and ua == "instance-b"}) == FEEDS,
            within=60,
        )
        taken_over_after = time.monotonic() - killed
        assert taken_over_after < 60
    finally:
        for proc in (a, b):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=20)
        http.stop()
        await redis.aclose()
