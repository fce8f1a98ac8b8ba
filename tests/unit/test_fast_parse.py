"""The fast path reads plain feeds exactly as feedparser does, and declines everything else."""

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswatch.fetcher.fastparse import parse_simple_feed
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_xml_feed
from tests.conftest import SHARED, shared_path

DATA = Path(__file__).parent.parent / "data" / "feeds"
REAL = SHARED / "feeds" / "real"
NOW = datetime(2025, 9, 2, tzinfo=UTC)
REAL_FILES = (
    sorted(p.name for p in REAL.iterdir() if p.suffix != ".json" and p.name != "MANIFEST.tsv")
    if REAL.exists()
    else ["(absent)"]
)


def items(raw, name):
    spec = FeedSpec(url=f"https://feeds.example/{name}")
    return [
        (
            i.id,
            i.title,
            i.summary,
            i.link,
            i.published_at,
            i.published_at_estimated,
            i.language,
            i.source,
        )
        for i in normalise_feed(raw, spec, NOW)
    ]


@pytest.mark.parametrize("name", REAL_FILES)
def test_on_real_feeds_the_fast_path_gives_feedparsers_items_or_declines(name):
    body = (shared_path("feeds", "real") / name).read_bytes()
    body = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    fast = parse_simple_feed(body)
    if fast is None:
        pytest.skip(f"the fast path declines {name}: feedparser reads it, nothing to compare")
    try:
        slow = parse_xml_feed(body)
    except FeedParseError:
        pytest.fail("the fast path read a document feedparser refuses")
    assert items(fast, name) == items(slow, name)


def test_enough_real_feeds_take_the_fast_path():
    shared_path("feeds", "real")
    accepted = [
        n
        for n in REAL_FILES
        if parse_simple_feed(
            gzip.decompress(b) if (b := (REAL / n).read_bytes())[:2] == b"\x1f\x8b" else b
        )
        is not None
    ]
    assert len(accepted) >= 10


@pytest.mark.parametrize("name", ["wire.rss", "wire.atom"])
def test_our_own_feeds_agree_too(name):
    body = (DATA / name).read_bytes()
    fast = parse_simple_feed(body)
    if fast is None:
        pytest.skip(f"the fast path declines {name}: feedparser reads it, nothing to compare")
    assert items(fast, name) == items(parse_xml_feed(body), name)


def _rss(extra: bytes) -> bytes:
    """One RSS 2.0 item (title A, summary S, link, date) with ``extra`` inside it."""
    return (
        b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"'
        b' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
        b' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        b' xmlns:slash="http://purl.org/rss/1.0/modules/slash/"'
        b' xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0"'
        b' xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>T</title><item>'
        b"<title>A</title><description>S</description><link>https://a.example/1</link>"
        + (
            b""
            if b"pubdate" in extra.lower()
            else b"<pubDate>Tue, 02 Sep 2025 04:10:00 +0300</pubDate>"
        )
        + extra
        + b"</item></channel></rss>"
    )


@pytest.mark.parametrize(
    "body",
    [
        (DATA / "broken.rss").read_bytes(),  # malformed: feedparser recovers what it can
        b'<rss version="2.0"><channel><item xml:base="http://a/"><title>t</title></item></channel></rss>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></title></entry></feed>',
        b'<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><item><media:description>d</media:description></item></channel></rss>',
        b'<rss version="0.91"><channel><item><title>old</title></item></channel></rss>',
        b"<html><body>not a feed</body></html>",
        # Elements feedparser reads into the title, summary or date, or leaves that are not:
        _rss(b"<media:content url='u'><media:title>m</media:title></media:content>"),
        _rss(b"<itunes:summary>s</itunes:summary>"),
        _rss(b"<pubdate>Tue, 02 Sep 2025 04:10:00 +0300</pubdate>"),
        _rss(b"<atom:link rel='alternate' href='https://b.example/'/>"),
        # A day name feedparser does not know: it gives no date, Python would.
        _rss(b"<pubDate>mer, 16 nov 2022 00:38:15 +0100</pubDate>"),
        # At a feed's root dc:language is the feed's language to feedparser, not inert.
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<title>T</title><dc:language>fr</dc:language><entry><title>A</title>"
        b"<id>urn:x:1</id><updated>2025-09-02T01:10:00Z</updated></entry></feed>",
    ],
)
def test_anything_unusual_is_left_to_feedparser(body):
    assert parse_simple_feed(body) is None


def test_leaves_feedparser_keeps_aside_do_not_send_an_item_to_feedparser():
    body = _rss(
        b"<media:thumbnail url='https://img.example/1.jpg'/><media:content url='v'/>"
        b"<itunes:duration>12:00</itunes:duration><dc:identifier>x-1</dc:identifier>"
        b"<slash:comments>4</slash:comments><linkmobile>https://m.a.example/1</linkmobile>"
        b"<feedburner:origLink>https://a.example/orig</feedburner:origLink>"
    )
    fast = parse_simple_feed(body)
    assert fast is not None
    (entry,) = fast.entries
    assert (entry.title, entry.summary, entry.link) == ("A", "S", "https://a.example/1")
    assert entry.published == datetime(2025, 9, 2, 1, 10, tzinfo=UTC)
    assert items(fast, "leaves") == items(parse_xml_feed(body), "leaves")


def test_a_permalink_guid_is_the_link_and_an_http_charset_defers_to_feedparser():
    body = (
        b'<rss version="2.0"><channel><title>T</title><item><title>A</title>'
        b"<guid>https://a.example/1</guid><pubDate>Tue, 02 Sep 2025 04:10:00 +0300</pubDate></item></channel></rss>"
    )
    (entry,) = parse_simple_feed(body).entries
    assert entry.link == "https://a.example/1" and entry.published == datetime(
        2025, 9, 2, 1, 10, tzinfo=UTC
    )
    assert parse_simple_feed(body, "application/rss+xml; charset=iso-8859-1") is None
