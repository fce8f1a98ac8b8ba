"""Getting in and staying safe, in Chromium: a wrong key, an expired session, the API going
away under an open console, feeds health for administrators only, the cookie's and the
page's protections, and a phone-sized screen driven by the keyboard."""

import asyncio

import httpx

from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.schedule import FeedHealth
from newswatch.shared.contracts.base import utc_now
from tests.browser.conftest import stack_env
from tests.browser.stack import ApiProcess, sign_in


async def test_a_wrong_key_is_refused_and_nothing_is_shown(stack, page):
    await page.goto(stack.api.url + "/")
    await page.wait_for_url("**/login?next=%2F")
    await page.fill("#key", "nwk_0123456789ab_not-a-real-key")
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_selector("#login-error >> text=Unknown or revoked API key")
    assert "/login" in page.url
    assert not [c for c in await page.context.cookies() if c["name"] == "nw_console"]
    # A revoked key is as good as a wrong one, even for a session already open.
    record, key = await stack.keys.create("ops", "leaver")
    await sign_in(page, stack.api.url, key)
    await stack.keys.revoke(record.id)
    await page.goto(stack.api.url + "/subscriptions")
    await page.wait_for_url("**/login?**")


async def test_an_expired_session_asks_to_sign_in_again_and_returns_to_the_page(stack, page):
    await sign_in(page, stack.api.url, await stack.key(), "/subscriptions")
    [cookie] = [c for c in await page.context.cookies() if c["name"] == "nw_console"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # The session expires in Redis, as it does after console_session_minutes unused.
    sessions = [k async for k in stack.redis.scan_iter(f"{stack.prefix}:console:session:*")]
    assert sessions and 0 < await stack.redis.ttl(sessions[0]) <= 480 * 60
    for name in sessions:
        await stack.redis.pexpire(name, 1)
    await asyncio.sleep(0.05)
    await page.goto(stack.api.url + "/subscriptions")
    await page.wait_for_selector("#login-error >> text=Your session has expired")
    await page.fill("#key", await stack.key())
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url("**/subscriptions")


async def test_a_form_without_its_csrf_token_is_refused(stack, page):
    await sign_in(page, stack.api.url, await stack.key())
    cookie = {c["name"]: c["value"] for c in await page.context.cookies()}["nw_console"]
    async with httpx.AsyncClient(cookies={"nw_console": cookie}) as client:
        forged = await client.post(
            f"{stack.api.url}/subscriptions/x/delete", data={"csrf": "guess"}
        )
    assert forged.status_code == 403 and "stale or forged" in forged.text


async def test_the_open_console_says_when_the_api_is_down_and_recovers(
    kafka_bootstrap, redis_url, stack, page
):
    # A second API process of this test's own, to stop and start again on its port.
    api = ApiProcess(stack_env(kafka_bootstrap, redis_url, stack.prefix))
    await asyncio.to_thread(api.start)
    try:
        await sign_in(page, api.url, await stack.key())
        await page.wait_for_selector("#live.on")
        await asyncio.to_thread(api.stop)
        await page.wait_for_selector("#live.off >> text=cannot be reached")
        await asyncio.to_thread(api.start)
        await page.wait_for_selector("#live.on", timeout=15_000)
    finally:
        await asyncio.to_thread(api.stop)


async def test_feeds_health_is_for_administrators_failing_feeds_first(stack, page):
    registry = FeedRegistry(stack.redis, stack.prefix)
    healthy = FeedSpec(url="https://healthy.example/rss", name="Healthy Wire")
    broken = FeedSpec(url="https://broken.example/rss", name="Broken Wire")
    await registry.add_missing([healthy, broken])
    now = utc_now()
    await registry.save_health(
        healthy.id, FeedHealth(interval_seconds=300, last_success_at=now, entries_per_day=40)
    )
    await registry.save_health(
        broken.id,
        FeedHealth(
            interval_seconds=300,
            last_error_at=now,
            last_error_kind="timeout",
            last_error="read timed out",
            consecutive_failures=4,
        ),
    )
    await sign_in(page, stack.api.url, await stack.key(team="ops"))
    assert await page.get_by_role("link", name="Feeds").count() == 0
    response = await page.goto(stack.api.url + "/feeds")
    assert response.status == 403
    await page.context.clear_cookies()
    await sign_in(page, stack.api.url, await stack.key(team="admin"), "/feeds")
    rows = page.locator("#feeds tbody tr")
    assert await rows.count() == 2
    assert "Broken Wire" in await rows.nth(0).inner_text()
    assert (
        "failing" in await rows.nth(0).inner_text() and "timeout" in await rows.nth(0).inner_text()
    )
    assert "Healthy Wire" in await rows.nth(1).inner_text()


async def test_pages_load_nothing_from_elsewhere_and_run_no_inline_script(stack, page):
    loaded: list[str] = []
    page.on("request", lambda request: loaded.append(request.url))
    await sign_in(page, stack.api.url, await stack.key())
    response = await page.goto(stack.api.url + "/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert all(url.startswith(stack.api.url) for url in loaded), loaded
    inline = await page.evaluate(
        "[...document.scripts].filter(s => !s.src).length + document.querySelectorAll('[style]').length"
    )
    assert inline == 0


async def test_a_phone_sized_screen_fits_and_the_keyboard_reaches_everything(stack, browser):
    context = await browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = await context.new_page()
    try:
        await sign_in(page, stack.api.url, await stack.key(), "/subscriptions/new")
        for path in ("/", "/subscriptions", "/subscriptions/new"):
            await page.goto(stack.api.url + path)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{path} scrolls sideways on a phone ({width} px)"
        await page.goto(stack.api.url + "/")
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Skip to content"
        await page.keyboard.press("Enter")
        await page.keyboard.press("Tab")
        focused = await page.evaluate("document.activeElement.closest('main') !== null")
        assert focused, "after the skip link, the keyboard lands in the page's content"
    finally:
        await context.close()
