"""The fast path reads feeds exactly as feedparser does, and declines what it cannot."""

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
    try:
        slow = parse_xml_feed(body)
    except FeedParseError:
        slow = None
    if fast is None:
        # Declined (malformed, XHTML, a handler not reproduced): feedparser's path reads it.
        assert slow is not None, f"{name}: declined, and feedparser refuses it too"
        return
    assert slow is not None, "the fast path read a document feedparser refuses"
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
    assert len(accepted) >= 45
    assert {"intertwingly_samruby.atom", "insanity_industries_xmlbase_relurl_2021.xml"} <= set(
        accepted
    ), "XHTML content and markup in descriptions take the fast path"


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


NS = (
    b' xmlns:media="http://search.yahoo.com/mrss/"'
    b' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    b' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    b' xmlns:atom="http://www.w3.org/2005/Atom"'
)
RDF = (
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
    b' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"'
    b' xmlns:dcterms="http://purl.org/dc/terms/">'
)
SEP_2 = datetime(2025, 9, 2, 1, 10, tzinfo=UTC)


def _item(children: bytes, root_attributes: bytes = b"") -> bytes:
    """An RSS 2.0 channel titled T with one item of exactly these ``children``."""
    return (
        b'<rss version="2.0"'
        + NS
        + root_attributes
        + b"><channel><title>T</title><item>"
        + children
        + b"</item></channel></rss>"
    )


def _one_entry_both_ways(body: bytes):
    """feedparser's single entry, once the fast path has read the same feed and entry."""
    fast, slow = parse_simple_feed(body), parse_xml_feed(body)
    assert fast is not None, "the fast path declined"
    assert (fast.title, fast.link, fast.language) == (slow.title, slow.link, slow.language)
    assert fast.entries == slow.entries
    assert items(fast, "case") == items(slow, "case")
    (entry,) = slow.entries
    return entry


# (body, feedparser's entry: title, summary, link, guid, published). The expectations are
# what feedparser returns for these bytes; the fast path must return the same.
AGREED = {
    "itunes:summary after a description is content: the description is the summary": (
        _item(b"<description>S</description><itunes:summary>I</itunes:summary>"),
        ("", "S", None, None, None),
    ),
    "itunes:summary alone is the summary": (
        _item(b"<itunes:summary>I</itunes:summary>"),
        ("", "I", None, None, None),
    ),
    "after an empty description, itunes:summary (content) stands in": (
        _item(b"<description/><itunes:summary>I</itunes:summary>"),
        ("", "I", None, None, None),
    ),
    "media:description after a description is content": (
        _item(b"<description>S</description><media:description>M</media:description>"),
        ("", "S", None, None, None),
    ),
    "media:description before a description is the summary": (
        _item(b"<media:description>M</media:description><description>S</description>"),
        ("", "M", None, None, None),
    ),
    "after content:encoded, the last description-like element is the summary": (
        _item(
            b"<content:encoded>C</content:encoded><description>S</description>"
            b"<media:description>M</media:description>"
        ),
        ("", "M", None, None, None),
    ),
    "of two media:description (plain, html), the first is the summary": (
        _item(
            b"<media:description type='plain'>P</media:description>"
            b"<media:description type='html'>&lt;b&gt;H&lt;/b&gt;</media:description>"
        ),
        ("", "P", None, None, None),
    ),
    "the item's title wins over a media:content's; its media:description is the summary": (
        _item(
            b"<media:content url='u'><media:title>MT</media:title>"
            b"<media:description>MD</media:description></media:content><title>A</title>"
        ),
        ("A", "MD", None, None, None),
    ),
    "in a media:group, the media:title is the title when the item has none": (
        _item(
            b"<media:group><media:content url='u'><media:title>MT</media:title></media:content>"
            b"<media:description>MD</media:description></media:group>"
        ),
        ("MT", "MD", None, None, None),
    ),
    "atom:link rel=alternate after <link> is the link": (
        _item(
            b"<link>https://a.example/1</link><atom:link rel='alternate' href='https://b.example/2'/>"
        ),
        ("", "", "https://b.example/2", None, None),
    ),
    "atom:link of another rel or type is not the link": (
        _item(
            b"<link>https://a.example/1</link><atom:link rel='standout' href='https://b.example/2'/>"
            b"<atom:link href='https://c.example/3' type='application/pdf'/>"
        ),
        ("", "", "https://a.example/1", None, None),
    ),
    "a lower-case <pubdate> is the date": (
        _item(b"<pubdate>Tue, 02 Sep 2025 04:10:00 +0300</pubdate>"),
        ("", "", None, None, SEP_2),
    ),
    "atom:updated and dc:date: the last updated date": (
        _item(
            b"<atom:updated>2025-09-03T00:00:00Z</atom:updated><dc:date>2025-09-04T00:00:00Z</dc:date>"
        ),
        ("", "", None, None, datetime(2025, 9, 4, tzinfo=UTC)),
    ),
    "a published date wins over an updated one": (
        _item(
            b"<atom:updated>2025-09-03T00:00:00Z</atom:updated><pubDate>Tue, 02 Sep 2025 04:10:00 +0300</pubDate>"
        ),
        ("", "", None, None, SEP_2),
    ),
    "the last pubDate counts even when it does not parse": (
        _item(
            b"<pubDate>Tue, 02 Sep 2025 04:10:00 +0300</pubDate><dc:date>2025-09-04T00:00:00Z</dc:date>"
            b"<pubDate>mer, 16 nov 2022 00:38:15 +0100</pubDate>"
        ),
        ("", "", None, None, datetime(2025, 9, 4, tzinfo=UTC)),
    ),
    "a day name feedparser does not know: no date": (
        _item(b"<title>A</title><pubDate>mer, 16 nov 2022 00:38:15 +0100</pubDate>"),
        ("A", "", None, None, None),
    ),
    "a date with no time": (
        _item(b"<pubDate>Thu, 27 Aug 2026</pubDate>"),
        ("", "", None, None, datetime(2026, 8, 27, tzinfo=UTC)),
    ),
    "isPermaLink='True' is not 'true': the guid is not the link": (
        _item(b"<guid isPermaLink='True'>https://g.example/1</guid>"),
        ("", "", None, "https://g.example/1", None),
    ),
    "an empty <link> is still the link, over a permalink guid": (
        _item(b"<link/><guid>https://g.example/1</guid>"),
        ("", "", "", "https://g.example/1", None),
    ),
    "xml:base resolves the link and a permalink guid": (
        _item(b"<link>sub/1</link><guid>g-1</guid>", b' xml:base="https://base.example/news/"'),
        ("", "", "https://base.example/news/sub/1", "https://base.example/news/g-1", None),
    ),
    "xml:base on an item": (
        _item(b"<title>t</title>").replace(b"<item>", b'<item xml:base="http://a/">'),
        ("t", "", None, None, None),
    ),
    "UTF-8 read as Latin-1 is read again": (
        _item("<title>caf\u00c3\u00a9</title>".encode()),
        ("café", "", None, None, None),
    ),
    "C1 controls are the Windows-1252 characters": (
        _item(b"<title>A&#150;B</title>"),
        ("A–B", "", None, None, None),
    ),
    "atom:author with children, and an <image> whose title stands in": (
        _item(
            b"<atom:author><atom:name>N</atom:name><atom:uri>https://p.example/</atom:uri></atom:author>"
            b"<image><url>u</url><title>I</title></image><link>https://a.example/1</link>"
        ),
        ("I", "", "https://a.example/1", None, None),
    ),
    "RSS 1.0: title before dc:title, rdf:about is the id, dcterms:issued the date": (
        RDF + b'<channel rdf:about="https://x.example/"><title>T</title></channel>'
        b'<item rdf:about="https://x.example/1"><title>A</title><dc:title>D</dc:title>'
        b"<dcterms:issued>2025-09-02T00:00:00Z</dcterms:issued></item></rdf:RDF>",
        ("A", "", None, "https://x.example/1", datetime(2025, 9, 2, tzinfo=UTC)),
    ),
    "an RSS root in a namespace feedparser does not know is plain RSS": (
        b'<rss version="2.0" xmlns="https://cyber.harvard.edu/rss/rss.html"><channel><title>T</title>'
        b"<item><title>A</title><link>https://a.example/1</link></item></channel></rss>",
        ("A", "", "https://a.example/1", None, None),
    ),
    "Atom: an id with no alternate link is the link": (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>A</title>'
        b'<id>https://a.example/1</id><link rel="enclosure" href="https://a.example/1.mp3"/>'
        b"</entry></feed>",
        ("A", "", "https://a.example/1", "https://a.example/1", None),
    ),
}


XHTML = b' xmlns="http://www.w3.org/1999/xhtml"'
SVG = b' xmlns="http://www.w3.org/2000/svg"'


def _atom(entry: bytes) -> bytes:
    return (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><entry><title>A</title>'
        + entry
        + b"</entry></feed>"
    )


# (body, feedparser's summary): markup inside content, written out as feedparser does.
MARKUP = {
    "RSS: text before the first element as it is, after it escaped; tags lower-cased": (
        _item(
            b'<description>a &amp; b<P Class="X" REL="NoFollow">c &amp; &lt;d&gt;</P>'
            b" e &amp; f<br/></description>"
        ),
        'a & b<p class="X" rel="nofollow">c &amp; &lt;d&gt;</p> e &amp; f<br></br>',
    ),
    "RSS: attributes escaped, CDATA escaped once inside markup": (
        _item(
            b'<description><a href="https://a.example/?x=1&amp;y=&quot;2&quot;">l</a>'
            b"<i><![CDATA[<b> & c]]></i></description>"
        ),
        '<a href="https://a.example/?x=1&amp;y=&quot;2&quot;">l</a><i>&lt;b&gt; &amp; c</i>',
    ),
    "RSS: content:encoded with markup is the summary when there is no description": (
        _item(b"<content:encoded><ul><li>one</li><li><em>two</em></li></ul></content:encoded>"),
        "<ul><li>one</li><li><em>two</em></li></ul>",
    ),
    "RSS: an xhtml description keeps its <div> (only Atom 1.0 loses it)": (
        _item(b"<description type='xhtml'><div>x &amp; y</div></description>"),
        "<div>x &amp; y</div>",
    ),
    "RSS: xhtml text without markup is escaped": (
        _item(b"<media:description type='xhtml'>a &amp; b</media:description>"),
        "a &amp; b",
    ),
    "Atom xhtml: the enclosing <div> goes, with its attributes": (
        _atom(b'<content type="xhtml"> <div' + XHTML + b' class="c"><p>x</p></div> </content>'),
        "<p>x</p>",
    ),
    "Atom xhtml: two <div>s stay": (
        _atom(
            b'<summary type="xhtml"><div' + XHTML + b">x</div><div" + XHTML + b">y</div></summary>"
        ),
        "<div>x</div><div>y</div>",
    ),
    "Atom html with markup: no <div> to remove": (
        _atom(b'<content type="html">pre <p>x</p> <b>y</b></content>'),
        "pre <p>x</p> <b>y</b>",
    ),
    "Atom xhtml: SVG gets its namespace, xlink its declaration, names lower-cased": (
        _atom(
            b'<content type="xhtml"><div' + XHTML + b"><p>s</p><svg" + SVG + b' viewBox="0 0 1 1"'
            b' xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#a"/></svg></div>'
            b"</content>"
        ),
        '<p>s</p><svg xmlns:xlink="http://www.w3.org/1999/xlink" xmlns="http://www.w3.org/2000/svg"'
        ' viewbox="0 0 1 1"><use xlink:href="#a"></use></svg>',
    ),
}


@pytest.mark.parametrize(("body", "expected"), MARKUP.values(), ids=MARKUP)
def test_markup_in_content_is_written_out_as_feedparser_does(body, expected):
    assert _one_entry_both_ways(body).summary == expected


@pytest.mark.parametrize(("body", "expected"), AGREED.values(), ids=AGREED)
def test_the_fast_path_takes_feedparsers_precedence(body, expected):
    entry = _one_entry_both_ways(body)
    assert (entry.title, entry.summary, entry.link, entry.guid, entry.published) == expected


def test_a_feed_root_language_and_an_unknown_namespace_agree():
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<title>T</title><dc:language>fr</dc:language><entry><title>A</title>"
        b"<id>urn:x:1</id><updated>2025-09-02T01:10:00Z</updated></entry></feed>"
    )
    _one_entry_both_ways(atom)
    assert parse_xml_feed(atom).language == "fr"
    soup = _item(
        b"<title>A</title><wp:uuid xmlns:wp='http://www.washingtonpost.com/wp-namespace'>u</wp:uuid>"
        b"<bigimage>https://i.example/1.jpg</bigimage>"
    )
    assert _one_entry_both_ways(soup).title == "A"


def test_namespace_declarations_repeated_or_renaming_an_element_agree():
    # The same declarations again on many elements, as some podcast feeds write them.
    itunes = b' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
    repeated = _item(
        b"<title>A</title><itunes:author" + itunes + b">W</itunes:author>"
        b"<itunes:summary" + itunes + b">S</itunes:summary><itunes:summary>S2</itunes:summary>"
    )
    assert _one_entry_both_ways(repeated).summary == "S"
    # Bound to Dublin Core, the prefix "content" makes feedparser call a later element of
    # the content namespace "dc_encoded" (no handler), not "content_encoded".
    renamed = _item(
        b"<title>A</title><content:encoded>C1</content:encoded></item><item><title>B</title>"
        b'<dc:subject xmlns:content="http://purl.org/dc/elements/1.1/">s</dc:subject>'
        b'<c:encoded xmlns:c="http://purl.org/rss/1.0/modules/content/">C2</c:encoded>'
    )
    fast, slow = parse_simple_feed(renamed), parse_xml_feed(renamed)
    assert fast is not None
    assert [(e.title, e.summary) for e in slow.entries] == [("A", "C1"), ("B", "")]
    assert fast.entries == slow.entries


@pytest.mark.parametrize(
    "body",
    [
        (DATA / "broken.rss").read_bytes(),  # malformed: feedparser recovers what it can
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></title></entry></feed>',
        b'<rss version="0.91"><channel><item><title>old</title></item></channel></rss>',
        b"<html><body>not a feed</body></html>",
        b'<!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"><channel><item><title>&a;</title></item></channel></rss>',
        # Base64 content: feedparser decodes it.
        _item(b"<content:encoded mode='base64'>SGk=</content:encoded>"),
        # Only Media RSS elements are followed inside media:content.
        _item(b"<media:content url='u'><title>T</title></media:content>"),
        # A handler this reader does not reproduce (<abstract> is always the summary).
        _item(b"<description>S</description><abstract>A</abstract>"),
        # Markup that opens with a <div>: feedparser drops it and loses count of its depth.
        _item(b"<description><div>a</div><p>b</p></description>"),
        # Markup with elements whose end handlers feedparser calls even inside content.
        _item(b"<description>a<source src='s'/></description>"),
        _item(b"<content:encoded><p><title>t</title></p></content:encoded>"),
        # MathML, SVG under a prefix, and namespaces declared inside content.
        _item(b'<description><math xmlns="http://www.w3.org/1998/Math/MathML"/></description>'),
        _item(b'<description><s:svg xmlns:s="http://www.w3.org/2000/svg"/></description>'),
        _item(b'<description><x:y xmlns:x="urn:x">z</x:y></description>'),
        # In Atom, text before markup that may look like a tag to feedparser's <div> rule.
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="html">'
        b"&lt;div&gt;<b>x</b></content></entry></feed>",
        # An item inside an item (feedparser starts a second entry).
        _item(b"<title>A</title><item><title>B</title></item>"),
        # CDF: an href attribute on an item is its link to feedparser.
        _item(b"<title>A</title>").replace(b"<item>", b"<item href='https://a.example/'>"),
        # An entry's <image> may hold a description that feedparser takes for the summary.
        _item(b"<image><description>D</description></image>"),
        # An Atom entry's source: its children describe the source.
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>'
        b"<source><title>S</title></source></entry></feed>",
        # RDF with no items: without the RSS 1.0 namespace parse.py refuses it.
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><channel/></rdf:RDF>',
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
