"""The pure delivery plan: matches and what subscribers were told in; alerts, digest entries
and follow-ups out."""

from datetime import timedelta

from newswatch.alerter.plan import Match, PlanSettings, plan_deliveries
from newswatch.alerter.stories import StoryBook
from newswatch.shared.contracts import (
    ChannelTarget,
    ClassifiedItem,
    Facts,
    Place,
    RateLimit,
    Subscription,
)
from tests.factories import WHEN, classified

SETTINGS = PlanSettings(followup_seconds=900, retry_for_hours=24)


def kyiv(n: int, title: str, tags: dict[str, float], minutes: int = 0) -> ClassifiedItem:
    item = classified(n, tags, title=title, published_at=WHEN + timedelta(minutes=minutes))
    item.facts = Facts(places=[Place(name="Kyiv", country_code="UA", kind="city")])
    return item


STRIKE = kyiv(1, "Russian strike on Kyiv kills 23", {"strike": 0.95})
ENVOY = kyiv(
    2,
    "EU summons Russia's envoy over Kyiv strike",
    {"strike": 0.6, "diplomatic_protest": 0.9},
    minutes=30,
)
RETOLD = kyiv(3, "Kyiv mourns 23 killed in Russian strike", {"strike": 0.9}, minutes=40)


def sub(sub_id: str, tags: list[str], **fields) -> Subscription:
    channel = ChannelTarget(kind="webhook", target=f"https://hooks.example/{sub_id}")
    return Subscription(id=sub_id, tags=tags, channels=[channel], **fields)


def matches(book: StoryBook, item: ClassifiedItem, *subs: Subscription) -> list[Match]:
    assignment = book.assign(item)
    hits = {h.tag: h for h in item.tags}
    return [Match(s, item, [hits[t] for t in s.tags if t in hits], assignment) for s in subs]


def plan(found: list[Match], told: set[tuple[str, str]] = frozenset(), sent=None):
    return plan_deliveries(
        found, told=set(told), sent_in_window=sent or {}, settings=SETTINGS, now=WHEN
    )


def test_a_report_bringing_its_story_a_new_tag_is_a_first_alert_for_that_tags_subscribers():
    book = StoryBook()
    desk = sub("desk", ["strike", "diplomatic_protest"])
    diplo = sub("diplo", ["diplomatic_protest"])
    story = book.assign(STRIKE).story
    told = {(desk.key, story.id)}  # the desk had the strike alert in an earlier batch
    result = plan(matches(book, ENVOY, desk, diplo), told)
    assert result.followups == [] and result.digest_entries == []
    by_sub = {a.subscription_key: a for a in result.alerts}
    assert by_sub[desk.key].subject == f"{story.id}+diplomatic_protest"
    assert by_sub[diplo.key].subject == story.id
    for alert in result.alerts:
        (job,) = alert.jobs
        assert job.item.item.title == "EU summons Russia's envoy over Kyiv strike"
        assert job.story.id == story.id
        assert "diplomatic_protest" in [h.tag for h in job.hits]


SUMMONS = kyiv(
    4,
    "EU summons Russia's envoy over damage to its Kyiv delegation",
    {"diplomatic_protest": 0.95},
    minutes=10,
)


def two_events(title: str) -> tuple[StoryBook, str, str, ClassifiedItem]:
    """The Kyiv strike and the summons it caused as two stories, and a report of both."""
    book = StoryBook()
    strike, summons = book.assign(STRIKE).story, book.assign(SUMMONS).story
    assert strike.id != summons.id
    both = kyiv(5, title, {"strike": 0.85, "diplomatic_protest": 0.95}, minutes=20)
    return book, strike.id, summons.id, both


def test_a_report_of_two_told_events_is_a_follow_up_not_a_second_alert():
    # The demo's second outlet: one report of the strike and of the summons it caused, each
    # already a story told to the desk. Whichever story it joins, its other tag is the other
    # story's news.
    book, strike, summons, both = two_events(
        "EU calls in Russian diplomat after strike damages its Kyiv delegation"
    )
    desk = sub("desk", ["strike", "diplomatic_protest"])
    found = matches(book, both, desk)
    assert found[0].assignment.story.id in {strike, summons}
    result = plan(found, {(desk.key, strike), (desk.key, summons)})
    assert result.alerts == [] and result.digest_entries == []
    assert [f.entry.story_id for f in result.followups] == [found[0].assignment.story.id]


def test_a_subscriber_told_of_one_event_is_not_alerted_when_its_report_joins_another():
    # A strike-only desk had the Kyiv strike. A report of the strike and of the summons it
    # caused joins the summons story, which the desk never had: a follow-up of the strike
    # story, not a first alert about the summons story. A desk that did not have the strike
    # story is alerted as before.
    book, strike, summons, both = two_events(
        "EU summons Russia's envoy again over strike damage to its Kyiv delegation"
    )
    desk, fresh = sub("desk", ["strike"]), sub("fresh", ["strike"])
    found = matches(book, both, desk, fresh)
    assert found[0].assignment.story.id == summons
    result = plan(found, {(desk.key, strike)})
    assert [a.subscription_key for a in result.alerts] == [fresh.key]
    assert [(f.subscription_key, f.entry.story_id) for f in result.followups] == [
        (desk.key, strike)
    ]


def test_a_retelling_with_no_new_tag_is_one_follow_up_and_a_replay_is_nothing():
    book = StoryBook()
    desk = sub("desk", ["strike"])
    story = book.assign(STRIKE).story
    retold = matches(book, RETOLD, desk)
    result = plan(retold, {(desk.key, story.id)})
    assert result.alerts == [] and len(result.followups) == 1
    entry = result.followups[0].entry
    assert (
        entry.update and entry.item.item.title == RETOLD.item.title and entry.story_id == story.id
    )
    replayed = matches(book, RETOLD, desk)  # the same report again: not a new report
    assert plan(replayed, {(desk.key, story.id)}).followups == []


def test_within_one_batch_the_first_report_alerts_and_the_next_is_a_follow_up():
    book = StoryBook()
    desk = sub("desk", ["strike"])
    result = plan(matches(book, STRIKE, desk) + matches(book, RETOLD, desk))
    assert [a.subject for a in result.alerts] == [STRIKE.item.id]
    assert [f.entry.item.item.id for f in result.followups] == [RETOLD.item.id]


def test_digest_mode_and_a_spent_rate_limit_make_digest_entries_not_alerts():
    book = StoryBook()
    digest = sub("digest", ["strike"], mode="digest", digest_minutes=30)
    limited = sub("limited", ["strike"], rate_limit=RateLimit(max_alerts=2, per_minutes=60))
    open_ = sub("open", ["strike"], rate_limit=RateLimit(max_alerts=2, per_minutes=60))
    result = plan(
        matches(book, STRIKE, digest, limited, open_), sent={limited.key: 2, open_.key: 1}
    )
    assert [a.subscription_key for a in result.alerts] == [open_.key]
    assert result.alerts_counted == {open_.key: 1}
    entries = {d.subscription_key: d for d in result.digest_entries}
    assert entries[digest.key].due_in == 30 * 60 and not entries[digest.key].rate_limited
    assert entries[limited.key].due_in == 900 and entries[limited.key].rate_limited


def test_alerts_are_retried_for_the_subscriptions_window_or_the_default():
    book = StoryBook()
    short = sub("short", ["strike"], retry_for_hours=2)
    default = sub("default", ["strike"])
    result = plan(matches(book, STRIKE, short, default))
    deadlines = {a.subscription_key: a.jobs[0].give_up_at for a in result.alerts}
    assert deadlines == {
        short.key: WHEN + timedelta(hours=2),
        default.key: WHEN + timedelta(hours=24),
    }
