"""The console's pure parts: filters from query strings (and back), evidence marking,
timelines, facts merged across reports, and the feeds table's order."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from newswatch.alerter.web.console.view import (
    Segment,
    StoryFilter,
    StoryView,
    feed_rows,
    highlight,
    merged_facts,
    timeline,
)
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.schedule import FeedHealth
from newswatch.shared.contracts import Evidence, Place, Story, TagHit
from tests.factories import WHEN, classified


def story(**fields) -> Story:
    base = dict(
        id="a" * 32,
        tags=["strike"],
        title="t",
        countries=["UA"],
        first_seen=WHEN,
        last_seen=WHEN + timedelta(hours=1),
        item_ids=["a" * 32],
        sources=["Wire"],
        report_count=1,
        latest_item_id="a" * 32,
    )
    return Story.model_validate(base | fields)


def test_a_filter_reads_the_query_string_and_writes_it_back():
    query = parse_qs(
        "tag=strike&tag=Sanctions&country=ua,%20pl&lang=EN&source=Wire&since=2025-09-02T05:00"
        "&q=%20Kyiv%20&offset=30"
    )
    which = StoryFilter.from_query(query)
    assert which.tags == ("strike", "sanctions")
    assert which.countries == ("UA", "PL") and which.languages == ("en",)
    assert which.since == datetime(2025, 9, 2, 5, 0, tzinfo=UTC)
    assert which.text == "Kyiv" and which.offset == 30
    assert StoryFilter.from_query(parse_qs(which.query())) == which
    assert "offset" not in which.query(offset=0)


def test_nonsense_in_the_query_string_is_ignored_not_an_error():
    which = StoryFilter.from_query({"since": ["yesterday"], "offset": ["-3"], "tag": [""]})
    assert which == StoryFilter()
    assert not which.active


def test_a_filter_admits_stories_by_tag_country_source_and_time():
    s = story()
    assert StoryFilter().admits_story(s)
    assert StoryFilter(tags=("strike", "sanctions")).admits_story(s)
    assert not StoryFilter(tags=("sanctions",)).admits_story(s)
    assert not StoryFilter(countries=("PL",)).admits_story(s)
    assert StoryFilter(sources=("wire",)).admits_story(s)
    assert not StoryFilter(since=WHEN + timedelta(hours=2)).admits_story(s)
    assert not StoryFilter(until=WHEN - timedelta(minutes=1)).admits_story(s)
    assert StoryFilter(since=WHEN + timedelta(minutes=30)).admits_story(s), "still active then"


def test_language_and_text_are_looked_for_in_the_reports():
    report = classified(1, summary="Air defence was active over Odesa.", language="uk")
    s = story()
    assert StoryFilter(languages=("uk",)).admits_reports(s, [report])
    assert not StoryFilter(languages=("en",)).admits_reports(s, [report])
    assert StoryFilter(text="AIR DEFENCE").admits_reports(s, [report])
    assert not StoryFilter(text="Kharkiv").admits_reports(s, [report])


def test_evidence_spans_are_marked_and_overlaps_merge():
    text = "Air strike hits port"
    assert highlight(text, [(0, 10, "strike"), (4, 15, "other"), (25, 30, "x")]) == [
        Segment("Air strike", "strike"),
        Segment(" hits", "other"),
        Segment(" port"),
    ]
    assert highlight(text, []) == [Segment(text)]


def test_a_story_view_quotes_its_first_report_and_keeps_the_best_confidence():
    first = classified(1, tags={"strike": 0.7})
    later = classified(2, tags={"strike": 0.9, "sanctions": 0.6})
    view = StoryView(story(tags=["sanctions", "strike"], id=first.item.id), [later, first])
    assert view.lead is first
    assert view.confidences == [("sanctions", 0.6), ("strike", 0.9)]
    title = view.title_segments()
    assert title[0] == Segment(first.item.title[:14], "strike")


def test_the_timeline_orders_reports_and_says_which_tags_each_brought():
    early = classified(1, tags={"strike": 0.9}, published_at=WHEN)
    late = classified(
        2, tags={"strike": 0.8, "diplomatic_protest": 0.7}, published_at=WHEN + timedelta(hours=1)
    )
    entries = timeline([late, early])
    assert [e.report for e in entries] == [early, late]
    assert [e.new_tags for e in entries] == [("strike",), ("diplomatic_protest",)]


def test_facts_of_several_reports_are_merged_each_once():
    one = classified(1)
    two = classified(2)
    two.facts.places.append(Place(name="Kyiv", country_code="UA", kind="city"))
    facts = merged_facts([one, two])
    assert [p.name for p in facts.places] == ["Odesa", "Kyiv"]


def test_evidence_outside_a_cut_summary_is_not_marked_past_the_cut():
    report = classified(1, summary="x" * 700 + " missile strike")
    report.tags = [
        TagHit(
            tag="strike",
            confidence=0.9,
            evidence=[Evidence(field="summary", start=701, end=715, text="missile strike")],
        )
    ]
    segments = StoryView(story(id=report.item.id), [report]).summary_segments()
    assert all(s.tag is None for s in segments) and segments[-1].text.endswith("…")


def test_feeds_table_shows_failing_feeds_first_most_failures_first():
    specs = [
        FeedSpec(url="https://a.example/rss"),
        FeedSpec(url="https://b.example/rss"),
        FeedSpec(url="https://c.example/rss"),
        FeedSpec(url="https://d.example/rss", paused=True),
    ]
    health = {
        specs[0].id: FeedHealth(interval_seconds=60),
        specs[1].id: FeedHealth(interval_seconds=60, consecutive_failures=2),
        specs[2].id: FeedHealth(interval_seconds=60, consecutive_failures=7),
    }
    rows = feed_rows(specs, health)
    assert [(r.id, r.state) for r in rows] == [
        (specs[2].id, "failing"),
        (specs[1].id, "failing"),
        (specs[0].id, "ok"),
        (specs[3].id, "paused"),
    ]
