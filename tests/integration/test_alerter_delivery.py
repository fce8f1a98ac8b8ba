"""The alerter against real Kafka and Redis and real receivers on localhost."""

import asyncio
import json
import threading
import time
from datetime import timedelta

import pytest

from newswatch.alerter.settings import AlerterSettings
from newswatch.demo.receivers import Response
from newswatch.shared.contracts import (
    Casualty,
    ChannelTarget,
    ClassifiedItem,
    DeadLetter,
    Delivery,
    Facts,
    Place,
    RateLimit,
    Story,
    Subscription,
)
from tests.factories import WHEN, classified
from tests.integration.alerter_harness import SECRET, Receivers, RunningAlerter, publish
from tests.integration.helpers import read_topic, until

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

HOSTILE = "Strike <!channel> <@U123> <https://evil.example|x> & <script>alert(1)</script>\r\nBcc: victim@example.org"


@pytest.fixture
def receivers():
    r = Receivers()
    yield r
    r.close()


def settings_for(receivers: Receivers, **extra) -> AlerterSettings:
    values = dict(
        smtp_host=receivers.smtp.host,
        smtp_port=receivers.smtp.port,
        allowed_networks="127.0.0.0/8",
        backoff_base_seconds=0.05,
        backoff_max_seconds=0.2,
        followup_seconds=1.0,
    )
    values.update(extra)
    return AlerterSettings(**values)


def report(
    n: int, title: str, source: str, city: str, killed: int, minutes: int = 0
) -> ClassifiedItem:
    item = classified(n, title=title, source=source, published_at=WHEN + timedelta(minutes=minutes))
    item.facts = Facts(
        places=[Place(name=city, country_code="UA", kind="city")],
        casualties=[Casualty(kind="killed", count=killed)],
    )
    return item


def every_channel(url: str) -> list[ChannelTarget]:
    return [
        ChannelTarget(kind="webhook", target=f"{url}/hook", options={"secret": SECRET}),
        ChannelTarget(kind="slack", target=f"{url}/slack"),
        ChannelTarget(kind="email", target="ops@example.org"),
        ChannelTarget(kind="apprise", target=f"{url.replace('http://', 'json://')}/apprise"),
    ]


async def test_every_channel_gets_one_inert_alert_per_story_across_replays_and_restarts(
    env_settings, receivers
):
    settings = settings_for(receivers)
    item = classified(1, title=HOSTILE)
    sub = Subscription(id="ops", team="ops", tags=["strike"], channels=every_channel(receivers.url))
    async with RunningAlerter(settings) as running:
        await running.subscribe(sub)
        await publish(settings, item, item)  # a duplicate upstream
        running.start()
        await until(
            lambda: (
                all(receivers.ok(p) for p in ("/hook", "/slack", "/apprise"))
                and receivers.smtp.messages
            )
        )
        await asyncio.sleep(1.0)
    await publish(settings, item)  # the same story again, to a restarted alerter
    async with RunningAlerter(settings) as running:
        running.start()
        await asyncio.sleep(3.0)
        deliveries = await running.alerter.ledger.recent("ops", "ops")
    assert [len(receivers.http.received(p)) for p in ("/hook", "/slack", "/apprise")] == [1, 1, 1]
    assert [receivers.ok(p) for p in ("/hook", "/slack", "/apprise")] == [1, 1, 1], (
        "signature valid, Block Kit valid, Apprise JSON understood"
    )
    assert len(receivers.smtp.messages) == 1
    assert sorted(d.channel for d in deliveries) == ["apprise", "email", "slack", "webhook"]
    assert all(d.status == "delivered" and len(d.attempts) == 1 for d in deliveries)
    # Hostile feed text arrives inert everywhere.
    (hook,) = receivers.bodies("/hook")
    assert hook["classified"]["item"]["title"] == HOSTILE and hook["story_id"] == item.item.id
    slack = receivers.http.received("/slack")[0].body.decode()
    assert "<!channel>" not in slack and "<@U123>" not in slack and "<https://evil" not in slack
    message, recipients = receivers.smtp.messages[0]
    assert recipients == ["ops@example.org"] and message["Bcc"] is None
    assert (
        "\n" not in message["Subject"]
        and "<script>" not in message.get_body(("html",)).get_content()
    )
    (apprise,) = receivers.bodies("/apprise")
    assert apprise["title"].startswith("[strike")


async def test_the_same_story_from_three_feeds_is_one_alert_per_subscriber_and_one_follow_up(
    env_settings, receivers, kafka_bootstrap
):
    settings = settings_for(receivers)
    reports = [
        report(1, "Russian missile and drone attack on Kyiv kills 23", "Wire One", "Kyiv", 23),
        report(
            2, "At least 23 dead after overnight Russian strike on Kyiv", "Courier", "Kyiv", 23, 9
        ),
        report(3, "Kyiv mourns 23 killed in Russian air assault", "Radio East", "Kyiv", 23, 20),
    ]
    subs = [
        Subscription(
            id=name,
            team="desk",
            tags=["strike"],
            channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/{name}")],
        )
        for name in ("a", "b")
    ]
    for sub in subs:
        receivers.route(f"/{sub.id}", lambda _: Response(200))
    async with RunningAlerter(settings) as running:
        await running.subscribe(*subs)
        running.start()
        await publish(settings, reports[0])
        await until(lambda: receivers.ok("/a") and receivers.ok("/b"))
        await publish(settings, *reports[1:])
        await until(lambda: receivers.ok("/a") == 2 and receivers.ok("/b") == 2)
        await asyncio.sleep(2.0)
    for name in ("a", "b"):
        alert, follow_up = receivers.bodies(f"/{name}")
        assert alert["type"] == "newswatch.alert" and alert["story_id"] == reports[0].item.id
        assert follow_up["type"] == "newswatch.digest"
        (entry,) = follow_up["entries"]
        assert entry["update"] and entry["story"]["sources"] == [
            "Wire One",
            "Courier",
            "Radio East",
        ]
    stories = await read_topic(kafka_bootstrap, settings.topics.stories, expect=3)
    assert {Story.model_validate_json(r.value).id for r in stories} == {reports[0].item.id}
    assert Story.model_validate_json(stories[-1].value).report_count == 3


async def test_a_burst_over_the_rate_limit_becomes_a_digest_and_digest_mode_batches(
    env_settings, receivers
):
    settings = settings_for(receivers)
    cities = ["Odesa", "Kharkiv", "Dnipro", "Lviv", "Sumy"]
    burst = [
        report(n, f"Strike on {city} port depot", "Wire", city, n)
        for n, city in enumerate(cities, 1)
    ]
    limited = Subscription(
        id="limited",
        tags=["strike"],
        rate_limit=RateLimit(max_alerts=2, per_minutes=60),
        channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/limited")],
    )
    digest = Subscription(
        id="digest",
        tags=["strike"],
        mode="digest",
        digest_minutes=0.05,
        channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/digest")],
    )
    for path in ("/limited", "/digest"):
        receivers.route(path, lambda _: Response(200))
    async with RunningAlerter(settings) as running:
        await running.subscribe(limited, digest)
        await publish(settings, *burst)
        running.start()
        await until(
            lambda: receivers.ok("/limited") == 3 and receivers.ok("/digest") == 1,
            explain=lambda: f"{receivers.answers} {running.alerter.counters.summary()}",
        )
        await asyncio.sleep(2.0)
    kinds = [b["type"] for b in receivers.bodies("/limited")]
    assert kinds == ["newswatch.alert", "newswatch.alert", "newswatch.digest"]
    assert len(receivers.bodies("/limited")[2]["entries"]) == 3, "nothing dropped"
    (batched,) = receivers.bodies("/digest")
    assert sorted(e["story"]["places"][0] for e in batched["entries"]) == sorted(cities)


async def test_a_permanent_failure_and_a_poison_message_are_dead_lettered_with_reasons(
    env_settings, kafka_bootstrap, receivers
):
    receivers.route("/gone", lambda _: Response(404, b"no such hook"))
    settings = settings_for(receivers)
    async with RunningAlerter(settings) as running:
        await running.subscribe(
            Subscription(
                id="gone",
                tags=["strike"],
                channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/gone")],
            )
        )
        await publish(settings, b"{not json", classified(3))
        running.start()
        failed = await read_topic(
            kafka_bootstrap, settings.topics.dead_letter("deliveries"), expect=1
        )
        poison = await read_topic(
            kafka_bootstrap, settings.topics.dead_letter("classified"), expect=1
        )
    letter = DeadLetter.model_validate_json(failed[0].value)
    assert letter.error_kind == "delivery_failed" and "HTTP 404" in letter.error
    assert Delivery.model_validate_json(letter.payload).status == "failed"
    assert len(receivers.http.received("/gone")) == 1, "a 404 is not retried"
    bad = DeadLetter.model_validate_json(poison[0].value)
    assert bad.error_kind == "invalid_classified_item" and bad.payload == "{not json"
    assert json.loads(failed[0].value)["service"] == "alerter"


class Outage:
    """Answers ``status`` for ``seconds`` from the first request, then 200."""

    def __init__(
        self, seconds: float, status: int = 500, headers: dict | None = None, delay: float = 0.0
    ):
        self.seconds, self.status, self.headers, self.delay = seconds, status, headers or {}, delay
        self.started: float | None = None

    def __call__(self, _request) -> Response:
        now = time.monotonic()
        self.started = self.started or now
        if now - self.started < self.seconds:
            time.sleep(self.delay)
            return Response(self.status, b"not now", self.headers)
        return Response(200, b"ok")


async def test_failing_receivers_get_every_alert_exactly_once_after_recovery_across_a_restart(
    env_settings, kafka_bootstrap, receivers
):
    routes = {
        "/outage": Outage(60.0),  # 500 for a minute
        "/ratelimited": Outage(0.5, 429, {"Retry-After": "3"}),
        "/slow": Outage(0.5, 504, delay=2.0),  # answers after the alerter's timeout
        "/gone": lambda _: Response(404, b"no such hook"),
    }
    for path, answer in routes.items():
        receivers.route(path, answer)
    settings = settings_for(
        receivers,
        http_timeout_seconds=1.0,
        backoff_base_seconds=1.0,
        backoff_max_seconds=6.0,
        max_attempts=40,
        retry_lease_seconds=5.0,
    )
    subs = [
        Subscription(
            id=path.strip("/"),
            tags=["strike"],
            channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}{path}")],
        )
        for path in routes
    ]
    async with RunningAlerter(settings) as running:
        await running.subscribe(*subs)
        await publish(settings, classified(7))
        running.start()
        await until(lambda: receivers.ok("/ratelimited") and receivers.ok("/slow"))
        await asyncio.sleep(15.0)
        assert receivers.ok("/outage") == 0 and await running.alerter.queue.size() == 1
    # The alerter stops mid-outage; the one that replaces it finds the job in Redis.
    async with RunningAlerter(settings) as running:
        running.start()
        await until(lambda: receivers.ok("/outage"), within=90.0)
        await asyncio.sleep(3.0)
        logs = {s.id: await running.alerter.ledger.recent("default", s.id) for s in subs}
    assert [receivers.ok(p) for p in routes] == [1, 1, 1, 0], "each exactly once, the 404 never"
    (outage,) = logs["outage"]
    assert outage.status == "delivered" and len(outage.attempts) >= 4
    assert [a.status_code for a in outage.attempts[:-1]] == [500] * (len(outage.attempts) - 1)
    (limited,) = logs["ratelimited"]
    gap = limited.attempts[1].at - limited.attempts[0].at
    assert [a.status_code for a in limited.attempts] == [429, None] and gap.total_seconds() >= 3.0
    (slow,) = logs["slow"]
    assert slow.attempts[0].error == "timed out" and slow.status == "delivered"
    (gone,) = logs["gone"]
    assert gone.status == "failed" and len(gone.attempts) == 1
    letters = await read_topic(kafka_bootstrap, settings.topics.dead_letter("deliveries"), expect=1)
    assert "HTTP 404" in DeadLetter.model_validate_json(letters[0].value).error
    records = await read_topic(kafka_bootstrap, settings.topics.deliveries, expect=4)
    statuses = sorted(Delivery.model_validate_json(r.value).status.value for r in records)
    assert statuses == ["delivered", "delivered", "delivered", "failed"]


async def test_a_receiver_that_hangs_holds_up_no_other_alert(env_settings, receivers):
    hung = threading.Event()

    def hang(_request) -> Response:
        hung.set()
        time.sleep(5.0)
        return Response(200)

    receivers.route("/hangs", hang)
    receivers.route("/fast", lambda _: Response(200))
    settings = settings_for(receivers, http_timeout_seconds=4.0)
    hanging = Subscription(
        id="hangs",
        tags=["sanctions"],
        channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/hangs")],
    )
    fast = Subscription(
        id="fast",
        tags=["strike"],
        channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/fast")],
    )
    async with RunningAlerter(settings) as running:
        await running.subscribe(hanging, fast)
        running.start()
        await publish(settings, classified(1, {"sanctions": 0.9}, title="EU adopts bank sanctions"))
        await until(hung.is_set)
        started = time.monotonic()
        await publish(settings, classified(2))
        await until(lambda: receivers.ok("/fast"), within=10.0)
        waited = time.monotonic() - started
    assert waited < 3.0, f"the fast receiver waited {waited:.1f}s behind the hanging one"


async def test_two_alerters_in_one_group_share_the_work_and_alert_each_story_once(
    env_settings, receivers
):
    receivers.route("/shared", lambda _: Response(200))
    settings = settings_for(receivers)
    cities = [f"Town{n}" for n in range(30)]
    reports = [
        report(n, f"Shelling of {city} market", "Wire", city, n) for n, city in enumerate(cities, 1)
    ]
    # One event told by four outlets: keyed by item id, the reports reach both instances.
    kyiv = [
        report(100 + n, f"Russian strike on Kyiv kills 23 ({outlet})", outlet, "Kyiv", 23, n)
        for n, outlet in enumerate(["Wire", "Courier", "Radio", "Post"])
    ]
    sub = Subscription(
        id="shared",
        tags=["strike"],
        channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/shared")],
    )
    async with RunningAlerter(settings) as one, RunningAlerter(settings) as two:
        await one.subscribe(sub)
        one.start()
        two.start()
        await asyncio.sleep(3.0)  # both join the group and split its partitions
        await publish(settings, *reports)
        for n, kyiv_report in enumerate(kyiv):  # to both partitions, so to both instances
            await publish(settings, kyiv_report, partition=n % 2)
            await asyncio.sleep(0.3)
        await until(lambda: receivers.ok("/shared") >= len(reports) + 1, within=60)
        await asyncio.sleep(3.0)
        handled = [r.alerter.counters.summary() for r in (one, two)]
    alerts = [b["story_id"] for b in receivers.bodies("/shared") if b["type"] == "newswatch.alert"]
    expected = [*(r.item.id for r in reports), kyiv[0].item.id]
    assert sorted(alerts) == sorted(expected), "each story once, the Kyiv reports as one"
    assert all("deliveries_queued" in h for h in handled), f"both instances worked: {handled}"


async def test_retries_stop_when_their_subscription_is_deleted(env_settings, receivers):
    receivers.route("/down", lambda _: Response(503, b"down", {"Retry-After": "3"}))
    settings = settings_for(receivers, subscription_refresh_seconds=0.5)
    sub = Subscription(
        id="leaving",
        tags=["strike"],
        channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/down")],
    )
    async with RunningAlerter(settings) as running:
        await running.subscribe(sub)
        await publish(settings, classified(9))
        running.start()
        await until(lambda: receivers.http.received("/down"))
        await running.alerter.store.remove(sub.team, sub.id)
        await asyncio.sleep(5.0)
        (record,) = await running.alerter.ledger.recent(sub.team, sub.id)
        queued = await running.alerter.queue.size()
    assert len(receivers.http.received("/down")) == 1 and queued == 0
    assert (
        record.status == "failed"
        and record.attempts[-1].error == "subscription deleted before delivery"
    )


async def test_a_report_bringing_its_story_a_new_tag_alerts_that_tags_subscribers_afresh(
    env_settings, receivers
):
    settings = settings_for(receivers)
    strike = report(1, "Russian missile strike on Kyiv kills 23", "Wire One", "Kyiv", 23)
    envoy = report(
        2, "EU summons Russia's envoy over deadly Kyiv strike", "Courier", "Kyiv", 23, 30
    )
    envoy.tags = classified(2, {"strike": 0.6, "diplomatic_protest": 0.9}).tags
    retold = report(3, "Kyiv mourns 23 killed in Russian missile strike", "Radio", "Kyiv", 23, 40)
    for path in ("/desk", "/desk-slack", "/diplo"):
        receivers.route(path, lambda _: Response(200))
    desk = Subscription(
        id="desk",
        tags=["strike", "diplomatic_protest"],
        channels=[
            ChannelTarget(kind="webhook", target=f"{receivers.url}/desk"),
            ChannelTarget(kind="slack", target=f"{receivers.url}/desk-slack"),
        ],
    )
    diplo = Subscription(
        id="diplo",
        tags=["diplomatic_protest"],
        channels=[ChannelTarget(kind="webhook", target=f"{receivers.url}/diplo")],
    )
    async with RunningAlerter(settings) as running:
        await running.subscribe(desk, diplo)
        running.start()
        await publish(settings, strike)
        await until(lambda: receivers.ok("/desk") == 1)
        await publish(settings, envoy)
        await until(lambda: receivers.ok("/desk") == 2 and receivers.ok("/diplo") == 1)
        await publish(settings, retold)
        await until(lambda: receivers.ok("/desk") == 3 and receivers.ok("/desk-slack") == 3)
    first, new_tag, follow_up = receivers.bodies("/desk")
    assert first["type"] == new_tag["type"] == "newswatch.alert", "the new tag is news: an alert"
    assert new_tag["story_id"] == strike.item.id, "still the strike's story"
    assert new_tag["classified"]["item"]["title"] == envoy.item.title
    assert "diplomatic_protest" in new_tag["tags"]
    (diplo_alert,) = receivers.bodies("/diplo")
    assert diplo_alert["classified"]["item"]["title"] == envoy.item.title
    assert follow_up["type"] == "newswatch.digest"
    (entry,) = follow_up["entries"]
    assert entry["update"] and entry["classified"]["item"]["title"] == retold.item.title
    slack_follow_up = receivers.http.received("/desk-slack")[-1].body.decode()
    assert f"Update: *<{retold.item.link}|{retold.item.title}>*" in slack_follow_up, (
        "a follow-up shows the report's own headline"
    )
