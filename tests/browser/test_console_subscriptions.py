"""The console's subscriptions pages in Chromium: create one with a webhook, receive its test
alert at a local receiver, see the API's validation, pause, edit (secret kept) and delete."""

import asyncio

from newswatch.alerter.channels.webhook import verify
from newswatch.alerter.subscriptions import SubscriptionStore
from tests.browser.stack import sign_in


async def until_received(hook, count: int, within: float = 10.0) -> None:
    for _ in range(int(within * 10)):
        if len(hook.received) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the receiver got {len(hook.received)} of {count} posts")


async def test_create_a_subscription_and_receive_its_test_alert(stack, page):
    store = SubscriptionStore(stack.redis, stack.prefix)
    await sign_in(page, stack.api.url, await stack.key(), "/subscriptions")
    await page.get_by_role("link", name="New subscription").click()
    await page.fill("input[name=id]", "kyiv-desk")
    await page.check("input[name=tags][value=strike]")
    await page.fill("input[name=countries]", "ua, pl")
    await page.fill("textarea[name=channels]", f"webhook:{stack.hook.url};secret=hook-secret")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_selector("#note >> text=Saved.")
    row = page.locator("#sub-kyiv-desk")
    text = await row.inner_text()
    assert "strike" in text and "UA,PL" in text and "secret=***" in text
    assert "hook-secret" not in await page.content(), "secrets are write-only"
    stored = await store.get("ops", "kyiv-desk")
    assert stored is not None and stored.channels[0].options == {"secret": "hook-secret"}

    await row.get_by_role("button", name="Send test alert").click()
    await page.wait_for_selector("#test-result")
    assert "delivered" in await page.locator("#test-result").inner_text()
    await until_received(stack.hook, 1)
    headers, body, raw = stack.hook.received[-1]
    signed = (headers["x-newswatch-timestamp"], headers["x-newswatch-signature"])
    assert verify(raw, "hook-secret", *signed), "signed with the stored secret"
    assert body["type"] == "newswatch.alert" and body["subscription_id"] == "kyiv-desk"
    assert body["tags"] == ["strike"]
    assert "Test alert" in body["classified"]["item"]["title"]

    # Edit: the masked secret goes back as '***' and the stored one is kept.
    await row.get_by_role("link", name="Edit").click()
    assert "secret=***" in await page.input_value("textarea[name=channels]")
    await page.fill("input[name=name]", "Kyiv desk")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_selector("#note >> text=Saved.")
    edited = await store.get("ops", "kyiv-desk")
    assert edited.name == "Kyiv desk" and edited.channels[0].options["secret"] == "hook-secret"
    assert edited.created_at == stored.created_at

    # Pause, then delete.
    await page.locator("#sub-kyiv-desk").get_by_role("button", name="Pause").click()
    await page.wait_for_selector("#note >> text=Paused.")
    assert (await store.get("ops", "kyiv-desk")).enabled is False
    assert "paused" in await page.locator("#sub-kyiv-desk").inner_text()
    await page.locator("#sub-kyiv-desk").get_by_role("button", name="Delete").click()
    await page.wait_for_selector("#note >> text=Deleted.")
    assert await store.get("ops", "kyiv-desk") is None
    assert await page.locator("#sub-kyiv-desk").count() == 0


async def test_the_console_validates_as_the_api_does(stack, page):
    store = SubscriptionStore(stack.redis, stack.prefix)
    await sign_in(page, stack.api.url, await stack.key(team="intel"), "/subscriptions/new")
    await page.fill("input[name=id]", "bad")
    await page.check("input[name=tags][value=sanctions]")
    await page.fill("input[name=countries]", "Ukraine")
    await page.fill("textarea[name=channels]", "console")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_selector(".alert >> text=country codes must be ISO 3166-1 alpha-2")
    # What the officer typed is still there to correct.
    assert await page.input_value("input[name=countries]") == "Ukraine"
    # The address policy: a private address outside the allowed networks is refused.
    await page.fill("input[name=countries]", "UA")
    await page.fill("textarea[name=channels]", "webhook:http://10.1.2.3/hook")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_selector(".alert >> text=channels.0.target")
    assert await store.get("intel", "bad") is None
    await page.fill("textarea[name=channels]", "console")
    await page.get_by_role("button", name="Save").click()
    await page.wait_for_selector("#note >> text=Saved.")
    assert (await store.get("intel", "bad")).countries == ["UA"]
