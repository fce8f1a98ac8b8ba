"""The watch-officer console under load: a real ``newswatch api`` process, 1,000 stories in
Redis written through the alerter's story store, Debian's Chromium for the page load, and
twenty open live streams for the fan-out.

* first page load: a cold browser (new context, empty cache) opens the stream page; time
  from navigation start to the load event, and bytes transferred (page, CSS, JS);
* live fan-out: twenty consoles hold ``/events`` open while stories are written; the time
  from a story's write to its arrival at each console, p50 and p99.
"""

import asyncio
import contextlib
import json
import os
import re
import statistics
import time
import uuid

import httpx

from benchmarks.measure import Row
from newswatch.alerter.keys import ApiKeyStore
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.stories import StoryBook
from newswatch.shared.redis import create_redis
from tests.browser import seed
from tests.browser.stack import CHROMIUM, CHROMIUM_ARGS, ApiProcess, sign_in

STORIES = 1000
CONSOLES = 20
LIVE_STORIES = 30
PAGE_LOADS = 5


def _drafts(count: int, start: int = 0) -> list[seed.Draft]:
    """Distinct events (one town each), so every report opens a story of its own."""
    return [
        seed.Draft(
            title=f"Drone strike on Town {n} damages a power line, {n % 9 + 1} killed",
            summary=f"Officials in Town {n} said drones hit the substation before dawn; crews "
            "were restoring power and residents were asked to stay in shelters.",
            tags={"strike": 0.9},
            evidence=[("strike", "title", "Drone strike"), ("strike", "summary", "drones hit")],
            source=f"Wire {n % 12}",
            places=[(f"Town {n}", "UA", "city")],
            actors=[("Russia", "attacker")],
            killed=n % 9 + 1,
            minutes_ago=(count - i) * 0.2,
        )
        for i, n in enumerate(range(start, start + count))
    ]


async def _login(client: httpx.AsyncClient, key: str) -> None:
    form = await client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, "the sign-in form carries its CSRF token"
    answer = await client.post("/login", data={"csrf": csrf.group(1), "key": key, "next": "/"})
    assert answer.status_code == 303, answer.text[:500]


async def _page_loads(base: str, key: str) -> tuple[float, float]:
    """Median time to the load event (ms) and bytes transferred (KB) of a cold first page."""
    from playwright.async_api import async_playwright

    times, sizes = [], []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        signing = await browser.new_context()
        await sign_in(await signing.new_page(), base, key)
        signed_in = await signing.storage_state()  # the session cookie, and nothing cached
        await signing.close()
        for _ in range(PAGE_LOADS):
            context = await browser.new_context(storage_state=signed_in)
            page = await context.new_page()
            await page.goto(base + "/", wait_until="load")
            timing = await page.evaluate(
                """() => {
                  const nav = performance.getEntriesByType('navigation')[0];
                  const res = performance.getEntriesByType('resource');
                  return {ms: nav.loadEventEnd - nav.startTime,
                          bytes: nav.transferSize + res.reduce((a, r) => a + r.transferSize, 0)};
                }"""
            )
            await context.close()
            times.append(timing["ms"])
            sizes.append(timing["bytes"] / 1024)
        await browser.close()
    return statistics.median(times), statistics.median(sizes)


async def _fan_out(base: str, key: str, settings: AlerterSettings) -> list[float]:
    """Milliseconds from each story's write to its arrival, for every console."""
    written: dict[str, float] = {}
    arrived: list[tuple[str, float]] = []
    ready, complete = asyncio.Event(), asyncio.Event()
    opened = 0

    async def console() -> None:
        nonlocal opened
        async with httpx.AsyncClient(base_url=base, timeout=None) as client:
            await _login(client, key)
            async with client.stream("GET", "/events") as stream:
                opened += 1
                if opened == CONSOLES:
                    ready.set()
                event = ""
                async for line in stream.aiter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event == "story":
                        arrived.append((json.loads(line[6:])["id"], time.monotonic()))
                        if len(arrived) >= CONSOLES * LIVE_STORIES:
                            complete.set()

    readers = [asyncio.create_task(console()) for _ in range(CONSOLES)]
    redis = create_redis(settings)
    try:
        await asyncio.wait_for(ready.wait(), 60)
        await asyncio.sleep(0.5)  # the last stream's first bytes are through
        book = StoryBook()
        for draft in _drafts(LIVE_STORIES, start=STORIES):
            report = seed.report(draft)
            written[report.item.id] = time.monotonic()
            await seed.write(redis, settings.redis_prefix, [report], book)
            await asyncio.sleep(0.1)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(complete.wait(), 10)
    finally:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await redis.aclose()
    latencies = [(at - written[i]) * 1000 for i, at in arrived if i in written]
    missing = CONSOLES * LIVE_STORIES - len(latencies)
    return latencies + [float("inf")] * missing  # a story that never arrived counts as late


async def _run(bootstrap: str, redis_url: str) -> list[Row]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    settings = AlerterSettings(
        kafka_bootstrap_servers=bootstrap, redis_url=redis_url, topic_prefix=prefix
    )
    redis = create_redis(settings)
    try:
        for start in range(0, STORIES, 250):
            reports = [seed.report(d) for d in _drafts(250, start)]
            await seed.write(redis, prefix, reports, StoryBook())
        _, key = await ApiKeyStore(redis, prefix).create("bench", "bench")
        api = await asyncio.to_thread(
            ApiProcess(
                {
                    "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                    "REDIS_URL": redis_url,
                    "NEWSWATCH_TOPIC_PREFIX": prefix,
                }
            ).start
        )
        try:
            rows = []
            if os.access(CHROMIUM, os.X_OK):
                ms, kb = await _page_loads(api.url, key)
                rows += [
                    Row(f"console: first page load, {STORIES:,} stories", ms, "ms", 300, "<="),
                    Row("console: first page, bytes transferred", kb, "KB", 200, "<="),
                ]
            else:
                rows.append(Row(f"console page load skipped: no Chromium at {CHROMIUM}", 0, ""))
            latencies = sorted(await _fan_out(api.url, key, settings))
            p50 = latencies[len(latencies) // 2]
            p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
            rows += [
                Row(f"console: new story to {CONSOLES} live consoles p50", p50, "ms", 1000, "<="),
                Row(f"console: new story to {CONSOLES} live consoles p99", p99, "ms", 1000, "<="),
            ]
            return rows
        finally:
            await asyncio.to_thread(api.stop)
    finally:
        async for name in redis.scan_iter(f"{prefix}:*", count=1000):
            await redis.unlink(name)
        await redis.aclose()


def bench_console(bootstrap: str, redis_url: str) -> list[Row]:
    return asyncio.run(_run(bootstrap, redis_url))


if __name__ == "__main__":
    found = (os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["REDIS_URL"])
    for row in bench_console(*found):
        print(f"{row.name}: {row.value:,.1f} {row.unit} (target {row.cmp} {row.target})")
