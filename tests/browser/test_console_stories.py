"""The console's story stream and story pages in Chromium: stories arrive live with their
evidence and facts, filters narrow them (and stay in the URL), a story's page shows its
timeline and deliveries, and an officer acknowledges it and reports a false alarm."""

import json
import time
from urllib.parse import parse_qs, urlsplit

from newswatch.alerter.feedback.store import FeedbackStore
from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.stories import StoryBook
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.contracts import (
    ChannelTarget,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    FeedbackKind,
    Subscription,
)
from tests.browser import seed
from tests.browser.stack import sign_in
from tests.integration.alerter_harness import RunningAlerter, publish
from tests.integration.helpers import read_topic


async def test_a_story_arrives_live_with_its_evidence_facts_and_sources(stack, page):
    await sign_in(page, stack.api.url, await stack.key())
    await page.wait_for_selector("#live.on")  # the stream is open
    book = StoryBook()
    first = seed.report(seed.KHARKIV)
    [story] = await seed.write(stack.redis, stack.prefix, [first], book)
    started = time.monotonic()
    card = f"#story-{story.id}"
    await page.wait_for_selector(card, timeout=1000)
    assert time.monotonic() - started < 1.0, "a new story reaches an open console within 1 s"
    # The evidence spans are marked where the classifier found them, title and summary.
    marks = await page.locator(f"{card} mark.ev").all_inner_texts()
    assert marks == ["Drone strike", "drones hit"]
    assert await page.locator(f"{card} .tag-strike").inner_text() == "strike 96%"
    facts = await page.locator(f"{card} .facts li").all_inner_texts()
    assert facts == [
        "Places: Kharkiv (UA)",
        "Casualties: 3 killed",
        "Actors: Russia (attacker)",
        "Weapons: drone",
    ]
    # A second outlet's report joins the story: the card is replaced, not repeated.
    await seed.write(stack.redis, stack.prefix, [seed.report(seed.KHARKIV_FOLLOWUP)], book)
    await page.wait_for_selector(f"{card} >> text=also reported by 1 source", timeout=1000)
    assert await page.locator(card).count() == 1
    links = page.locator(f"{card} .reports a")
    assert await links.all_inner_texts() == [seed.KHARKIV.title, seed.KHARKIV_FOLLOWUP.title]
    assert (await links.first.get_attribute("href")) == first.item.link
    assert "Watch Wire, Eastern Courier" in await page.locator(f"{card} .meta").inner_text()


async def test_filters_narrow_the_page_and_the_live_stream_and_stay_in_the_url(stack, page):
    stories = await seed.write(
        stack.redis,
        stack.prefix,
        [seed.report(d) for d in (seed.SANCTIONS, seed.PROTEST, seed.ARMS)],
    )
    sanctions, protest, arms = (s.id for s in stories)
    await sign_in(page, stack.api.url, await stack.key())
    await page.check("input[name=tag][value=sanctions]")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url(lambda url: "tag=sanctions" in url)
    assert await page.locator(f"#story-{sanctions}").count() == 1
    assert await page.locator(f"#story-{protest}, #story-{arms}").count() == 0
    # The link is the filter: opened afresh, it shows the same.
    shared = page.url
    assert parse_qs(urlsplit(shared).query) == {"tag": ["sanctions"]}
    # Live, too: a strike does not come through this filter, a new sanctions story does.
    await page.wait_for_selector("#live.on")
    [strike] = await seed.write(stack.redis, stack.prefix, [seed.report(seed.KHARKIV)])
    [fresh] = await seed.write(stack.redis, stack.prefix, [seed.report(seed.SANCTIONS)])
    await page.wait_for_selector(f"#story-{fresh.id}", timeout=2000)
    assert await page.locator(f"#story-{strike.id}").count() == 0
    # Language, country and free text, straight from a URL.
    await page.goto(f"{stack.api.url}/?lang=fr")
    assert await page.locator(f"#story-{protest}").count() == 1
    assert await page.locator(f"#story-{sanctions}, #story-{arms}").count() == 0
    await page.goto(f"{stack.api.url}/?country=PL&q=luftabwehr")
    assert await page.locator("article.story").count() == 1
    assert await page.locator(f"#story-{arms}").count() == 1
    assert await page.input_value("input[name=q]") == "luftabwehr"
    await page.goto(f"{stack.api.url}/?q=no+such+words+anywhere")
    await page.wait_for_selector("#no-stories")


async def test_a_story_page_shows_timeline_and_deliveries_and_takes_ack_and_feedback(stack, page):
    book = StoryBook()
    first, second = seed.report(seed.KHARKIV), seed.report(seed.KHARKIV_FOLLOWUP)
    story, _ = await seed.write(stack.redis, stack.prefix, [first, second], book)
    subs = SubscriptionStore(stack.redis, stack.prefix)
    await subs.save(
        Subscription(
            id="desk", team="ops", tags=["strike"], channels=[ChannelTarget(kind="console")]
        )
    )
    delivery = Delivery(
        id="d-console-1",
        subscription_id="desk",
        team="ops",
        item_id=first.item.id,
        story_id=story.id,
        channel="webhook",
        target="http://127.0.0.1/…",
        tags=["strike"],
        status=DeliveryStatus.DELIVERED,
        attempts=[DeliveryAttempt(ok=True, status_code=204)],
    )
    async with stack.redis.pipeline(transaction=True) as pipe:
        DeliveryLedger(stack.redis, stack.prefix).record(pipe, delivery, first=True)
        await pipe.execute()

    await sign_in(page, stack.api.url, await stack.key(name="night desk"))
    await page.click(f"#story-{story.id} h2 a")
    await page.wait_for_url(f"**/stories/{story.id}")
    reports = page.locator(".timeline .report")
    assert await reports.count() == 2
    # The second report brought a tag the story did not have.
    assert await reports.nth(0).locator(".gained").inner_text() == "tags gained: strike"
    assert await reports.nth(1).locator(".gained").inner_text() == "tags gained: diplomatic_protest"
    row = page.locator("#deliveries tbody tr")
    assert await row.count() == 1
    assert "webhook" in await row.inner_text() and "delivered" in await row.inner_text()

    await page.get_by_role("button", name="Acknowledge").click()
    await page.wait_for_selector("#ack")
    assert "night desk" in await page.locator("#ack").inner_text()

    # A false alarm on the second report's diplomatic_protest tag.
    second_report = page.locator(f"#report-{second.item.id}")
    await second_report.locator(
        "button[aria-label='False alarm: this report is not diplomatic_protest']"
    ).click()
    await page.wait_for_selector("#note >> text=Feedback recorded")
    assert "diplomatic_protest" in await page.locator("#feedback").inner_text()
    store = FeedbackStore(stack.redis, stack.prefix)
    [record] = await store.find("ops")
    assert (record.kind, record.tag, record.item_id, record.story_id) == (
        FeedbackKind.FALSE_ALARM,
        "diplomatic_protest",
        second.item.id,
        None,
    )
    assert record.item.title == seed.KHARKIV_FOLLOWUP.title
    # Published to Kafka for training, as the API's feedback is.
    [published] = await read_topic(
        stack.settings.kafka_bootstrap_servers, stack.settings.topics.feedback, expect=1
    )
    assert json.loads(published.value)["id"] == record.id

    # A missed tag on the first report: sanctions, which it does not carry.
    first_report = page.locator(f"#report-{first.item.id}")
    await first_report.locator("select[name=tag]").select_option("sanctions")
    await first_report.get_by_role("button", name="Report missed tag").click()
    await page.wait_for_selector("#note >> text=Feedback recorded")
    kinds = sorted((r.kind.value, r.tag) for r in await store.find("ops"))
    assert kinds == [("false_alarm", "diplomatic_protest"), ("missed_tag", "sanctions")]


async def test_a_real_alerter_fed_through_kafka_feeds_the_console(stack, page):
    """The whole way: a classified item on Kafka, the alerter groups it and saves story and
    report, the console shows it live with the report's evidence and facts."""
    await sign_in(page, stack.api.url, await stack.key())
    await page.wait_for_selector("#live.on")
    # An event no earlier test wrote, so that it opens a story of its own (the alerter
    # reloads the stories already in the store and would fold a look-alike into one).
    item = seed.report(
        seed.Draft(
            title="Ministry approves sale of patrol boats to Estonia",
            summary="The deal is worth 120 million euros, officials said.",
            tags={"arms_approval": 0.9},
            evidence=[
                ("arms_approval", "title", "approves sale"),
                ("arms_approval", "summary", "deal"),
            ],
            places=[("Estonia", "EE", "country")],
            money=(120_000_000, "EUR"),
        )
    )
    async with RunningAlerter(stack.settings) as running:
        running.start()
        await publish(stack.settings, item)
        card = f"#story-{item.item.id}"
        await page.wait_for_selector(card, timeout=30_000)
    assert await page.locator(f"{card} mark.ev").all_inner_texts() == ["approves sale", "deal"]
    assert "Amounts: 120 million EUR" in await page.locator(f"{card} .facts").inner_text()
