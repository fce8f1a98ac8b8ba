import re
from pathlib import Path

import pytest

from newswatch.fetcher.feeds import FeedConfigError, load_feed_list, parse_feed_yaml, parse_opml

DATA = Path(__file__).parent.parent / "data"


def test_yaml_feed_list_applies_defaults_and_derives_ids():
    feeds = load_feed_list(DATA / "feeds.yaml")
    assert [f.url for f in feeds] == [
        "https://wire.example.org/rss",
        "https://fil.example.fr/atom.xml",
        "https://json.example.net/feed.json",
    ]
    assert feeds[0].interval_seconds == 120 and feeds[0].name == "Test Wire"
    assert feeds[1].id.startswith("fil-example-fr-")
    assert feeds[2].id == "json-wire" and feeds[2].interval_seconds == 30
    assert feeds[2].language == "de"


def test_feed_ids_are_stable_across_loads():
    assert load_feed_list(DATA / "feeds.yaml")[1].id == load_feed_list(DATA / "feeds.yaml")[1].id


def test_opml_import_reads_nested_outlines_and_ignores_folders():
    feeds = load_feed_list(DATA / "feeds.opml")
    assert [(f.name, f.url) for f in feeds] == [
        ("Test Wire", "https://wire.example.org/rss"),
        ("JSON Wire", "https://json.example.net/feed.json"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "feeds: [{url: 'ftp://x.example/feed'}]",
            "feed #1: url: Value error, must be an http(s) URL",
        ),
        ("feeds:\n  - url: https://a.example/\n  - url: https://a.example/\n", "appears twice"),
        ("feeds: [{url: 'https://a.example/', colour: red}]", "feed #1: colour"),
        ("nothing: here", "expected a top-level 'feeds:' list"),
        ("feeds: [", "not valid YAML"),
    ],
)
def test_a_broken_feed_list_is_refused_with_where_and_why(text, message):
    with pytest.raises(FeedConfigError, match=re.escape(message)):
        parse_feed_yaml(text, source="feeds.yaml")


def test_malformed_opml_is_refused_clearly():
    with pytest.raises(FeedConfigError, match="not well-formed"):
        parse_opml(b"<opml><body><outline xmlUrl='https://a.example/'></body>")
