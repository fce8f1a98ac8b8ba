from datetime import UTC, datetime
from pathlib import Path

import pytest

from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import canonical_url, normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed, parse_xml_feed
from newswatch.shared.text import clean_text
from tests.conftest import shared_path

FEEDS = Path(__file__).parent.parent / "data" / "feeds"
FETCHED = datetime(2025, 9, 2, 12, 0, tzinfo=UTC)


def items_of(filename: str, **spec):
    body = (FEEDS / filename).read_bytes()
    feed = FeedSpec(url=spec.pop("url", f"https://feeds.example/{filename}"), **spec)
    return normalise_feed(parse_feed(body), feed, FETCHED)


def test_rss_entries_become_clean_items_with_absolute_canonical_links():
    strike, ferries = items_of("wire.rss")
    assert strike.title == "Missile strike on Dnipro kills seven"
    assert strike.summary == (
        "A Russian missile hit an apartment block in Dnipro, killing at least seven people & injuring 20."
    )
    assert strike.link == "https://wire.example.org/world/dnipro-strike?id=42"
    assert strike.source == "Test Wire & Co"
    assert strike.language == "en"
    assert strike.published_at == datetime(2025, 9, 2, 1, 10, tzinfo=UTC)
    assert not strike.published_at_estimated
    assert ferries.summary == "Fewer sailings on weekdays from November."


def test_an_entry_without_a_date_gets_the_fetch_time_and_says_so():
    _, ferries = items_of("wire.rss")
    assert ferries.published_at == FETCHED and ferries.published_at_estimated


def test_an_entry_with_nothing_in_it_is_dropped():
    assert len(items_of("wire.rss")) == 2


def test_the_configured_name_wins_over_the_feed_title():
    assert items_of("wire.rss", name="Wire (desk)")[0].source == "Wire (desk)"


def test_atom_entries_keep_their_language_and_lose_tracking_parameters():
    (item,) = items_of("wire.atom")
    assert item.title == "L'UE convoque l'ambassadeur russe"
    assert item.summary == "Bruxelles a convoqué le chargé d'affaires."
    assert item.link == "https://fil.example.fr/ue-convoque"
    assert item.language == "fr"
    assert item.published_at == datetime(2025, 9, 2, 5, 30, tzinfo=UTC)


def test_json_feed_items_are_read_and_untitled_posts_borrow_their_text():
    first, untitled = items_of("wire.json")
    assert first.title == "Bundestag billigt Waffenlieferung"
    assert first.summary == "Das Parlament genehmigt Luftabwehrsysteme."
    assert first.language == "de"
    assert untitled.title.startswith("A post with no title")
    assert untitled.published_at_estimated


def test_item_ids_are_stable_and_independent_of_tracking_parameters():
    a = items_of("wire.rss")[0]
    b = items_of("wire.rss")[0]
    assert a.id == b.id and len(a.id) == 32
    assert a.content_hash == b.content_hash


def test_a_bare_guid_is_unique_only_within_its_feed():
    one = items_of("wire.json", url="https://one.example/feed.json")[1]
    two = items_of("wire.json", url="https://two.example/feed.json")[1]
    assert one.id != two.id


def test_a_malformed_feed_keeps_the_entries_before_the_fault():
    raw = parse_feed((FEEDS / "broken.rss").read_bytes())
    assert raw.recovered_error
    assert [e.title for e in raw.entries][:1] == ["First entry survives"]


_DECLARED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>T</title>'
    b"<item><title>A &amp; B</title><link>https://a.example/n?x=1&amp;y=2</link>"
    b"<guid>https://a.example/n?x=1&amp;y=2</guid><description>S</description></item>"
    b"</channel></rss>"
)


@pytest.mark.parametrize("blanks", [b"\n", b"\r\n\n", b" \t\n"])
def test_blank_lines_before_the_declaration_are_repaired_and_still_reported(blanks):
    # feedparser's loose reading of such a document keeps the guid's "&amp;" as written
    raw = parse_feed(blanks + _DECLARED)
    assert [(e.title, e.link, e.guid) for e in raw.entries] == [
        ("A & B", "https://a.example/n?x=1&y=2", "https://a.example/n?x=1&y=2")
    ]
    assert raw.recovered_error == "blank lines before the XML declaration (removed)"
    assert parse_feed(_DECLARED).recovered_error is None


@pytest.mark.parametrize(
    ("body", "reader"),
    [
        (_DECLARED, "fast"),
        (b"\n" + _DECLARED, "fast"),  # repaired, then read fast
        ((FEEDS / "wire.atom").read_bytes(), "fast"),
        ((FEEDS / "wire.json").read_bytes(), "json"),
        ((FEEDS / "broken.rss").read_bytes(), "feedparser"),  # malformed: the loose parser
        # A DOCTYPE may declare entities the fast path does not resolve.
        (b'<?xml version="1.0"?>\n<!DOCTYPE rss>' + _DECLARED.split(b"?>", 1)[1], "feedparser"),
    ],
)
def test_the_feed_names_the_reader_that_read_it(body, reader):
    assert parse_feed(body).reader == reader


@pytest.mark.parametrize(
    "name",
    ["londonist_large_leading_newline_2017.xml", "taverncast_podcast_leading_blankline.rss"],
)
def test_real_feeds_with_blanks_before_the_declaration_keep_their_items(name):
    # What feedparser made of them before the repair: the same items, read ten times faster.
    body = (shared_path("feeds", "real") / name).read_bytes()
    feed = FeedSpec(url=f"https://feeds.example/{name}")
    before = normalise_feed(parse_xml_feed(body), feed, FETCHED)
    assert normalise_feed(parse_feed(body), feed, FETCHED) == before
    assert len(before) > 30


@pytest.mark.parametrize(
    "body", [(FEEDS / "not-a-feed.html").read_bytes(), b"", b'{"a": 1}', b"{nope"]
)
def test_a_document_that_is_not_a_feed_is_a_parse_error(body):
    with pytest.raises(FeedParseError):
        parse_feed(body)


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.COM:443/a?utm_source=x&b=2#frag", "https://example.com/a?b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("https://e.example/a?fbclid=1&gclid=2&id=7", "https://e.example/a?id=7"),
        ("/relative/path?utm_campaign=z", "https://base.example/relative/path"),
    ],
)
def test_canonical_url(url, canonical):
    assert canonical_url(url, base="https://base.example/feed") == canonical


@pytest.mark.parametrize(
    ("url", "base", "canonical"),
    [
        # urljoin reads a ";" that ends the path as empty params, and drops it...
        ("https://a.example/p;", "https://base.example/feed", "https://a.example/p"),
        ("https://a.example/p;?", "https://base.example/feed", "https://a.example/p"),
        # ...but keeps params that are not empty, and without a base nothing is joined.
        ("https://a.example/p;x", "https://base.example/feed", "https://a.example/p;x"),
        ("https://a.example/p;", None, "https://a.example/p;"),
        ("HTTPS://A.example/p?#", "https://base.example/feed", "https://a.example/p"),
        ("http://a.example/p?", "https://base.example/feed", "http://a.example/p"),
        ("//a.example/p", "https://base.example/feed", "https://a.example/p"),
        ("  https://a.example/p?q=1#f  ", "https://base.example/feed", "https://a.example/p?q=1"),
        ("ftp://f.example/x?", "ftp://base.example/", "ftp://f.example/x"),
        ("   ", "https://base.example/feed", "https://base.example/feed"),
    ],
)
def test_canonical_url_of_absolute_links_is_what_joining_them_gives(url, base, canonical):
    assert canonical_url(url, base=base) == canonical


def test_canonical_url_refuses_a_base_that_is_not_a_url_even_for_an_absolute_link():
    with pytest.raises(ValueError, match="Invalid IPv6 URL"):
        canonical_url("https://a.example/p", base="https://[base/feed")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<p>One</p><p>Two</p>", "One Two"),
        ("Fish &amp; chips", "Fish & chips"),
        ("&amp;amp; double-escaped", "& double-escaped"),
        ("<style>p{}</style>Shown<script>hidden()</script>", "Shown"),
        ("  lots \n of\t space ", "lots of space"),
        ("plain <text> that is not a tag? 3 < 4", "plain that is not a tag? 3 < 4"),
        ('<P CLASS="lead">Up<BR/>per<br />case</P>', "Up per case"),
        ("Tom &amp Jerry &#169; 2025 &", "Tom & Jerry © 2025 &"),
        ("a<b>b</b>c <i title='x>y'>d</i>", "abc d"),
        ("3 <4 &lt; 5 &amp;&", "3 <4 < 5 &&"),
        ("<p>Kept<!-- hidden --></p><noscript>no</noscript>", "Kept"),
        ("Київ\xa0—\u2028обстріл\t<b>2</b>", "Київ — обстріл 2"),
        (None, ""),
    ],
)
def test_clean_text(raw, text):
    assert clean_text(raw) == text


def test_double_escaped_html_is_stripped_but_escaped_text_is_kept():
    assert clean_text("&lt;p&gt;Shelling &amp;amp; fires&lt;/p&gt;") == "Shelling & fires"
    assert clean_text("Declare it as &lt;integer&gt; first") == "Declare it as <integer> first"
