"""An item's identity: posts told apart only by a URL fragment stay apart; trackers do not split."""

from datetime import UTC, datetime

from newswatch.fetcher.entries import RawEntry, RawFeed
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import normalise_feed

FEED = FeedSpec(url="https://scripting.example/rss.json")
NOW = datetime(2025, 9, 2, tzinfo=UTC)


def ids(*entries: RawEntry) -> list[str]:
    return [i.id for i in normalise_feed(RawFeed(entries=list(entries)), FEED, NOW)]


def test_two_posts_on_one_day_page_are_two_items():
    # As scripting.com publishes: one page a day, each post an anchor on it.
    first, second = ids(
        RawEntry(summary="One.", guid="http://scripting.example/2017/06/26.html#a080605"),
        RawEntry(summary="Two.", guid="http://scripting.example/2017/06/26.html#a030658"),
    )
    assert first != second


def test_the_same_for_links_when_there_is_no_guid():
    assert (
        len(
            set(
                ids(
                    RawEntry(title="One", link="https://blog.example/day.html#p1"),
                    RawEntry(title="Two", link="https://blog.example/day.html#p2"),
                )
            )
        )
        == 2
    )


def test_tracking_parameters_still_do_not_make_a_new_item():
    (plain,) = ids(RawEntry(title="A", guid="https://news.example/a#x"))
    (tracked,) = ids(RawEntry(title="A", guid="https://NEWS.example/a?utm_source=rss#x"))
    assert plain == tracked


def test_the_link_shown_to_readers_still_drops_the_fragment():
    (item,) = normalise_feed(
        RawFeed(entries=[RawEntry(title="A", link="https://blog.example/day.html#p1")]), FEED, NOW
    )
    assert item.link == "https://blog.example/day.html"
