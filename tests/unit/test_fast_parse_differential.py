"""Random feeds read both ways: the lxml fast path gives feedparser's items, or declines.

``parse_feed`` hands every XML document to ``fastparse.parse_simple_feed`` first and, when
it answers, publishes its entries as they are: feedparser never sees that document. An
entry the fast path reads differently (another title, summary, link, guid, date, language
or source) would therefore be published silently, with nothing downstream to notice.
Declining (returning None) is always safe: feedparser then reads the document as it
always did. So for every document below the fast path must either decline or produce
exactly the normalised items that feedparser's path (``parse_xml_feed`` then
``normalise_feed``) produces.

``test_fast_parse.py`` holds the hand-written cases and the real feeds. Here a small
seeded generator (``FeedWriter``) mixes the elements and quirks the fast path claims to
reproduce, in orders and combinations nobody wrote down: RSS 2.0, Atom and RSS 1.0
(RDF); titles, descriptions, content:encoded, itunes:summary, media:content and
media:group with children; atom:link inside RSS; guids with isPermaLink variants; date
elements in several formats; xml:base and xml:lang; entities, CDATA, Windows-1252 and
double-encoded UTF-8 text; empty elements; inline HTML and XHTML markup inside
descriptions, content:encoded and Atom summaries and content (typed html, xhtml, text or
not at all; wrapped in an XHTML <div> or not; with attributes, nesting, CDATA, entities,
SVG). It also writes things the fast path must decline (base64 content, markup it does
not reproduce, handlers it does not reproduce, DOCTYPEs, malformed bytes), so that a fast
path which stopped declining would be caught.
"""

import dataclasses
import functools
import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

import pytest

from newswatch.fetcher.entries import RawFeed
from newswatch.fetcher.fastparse import parse_simple_feed
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_xml_feed

SEEDS = (1, 2, 3, 4)
DOCUMENTS_PER_SEED = 400
SPEC = FeedSpec(url="https://feeds.example/differential")
NOW = datetime(2025, 9, 2, tzinfo=UTC)

ATOM_NS = "http://www.w3.org/2005/Atom"
NAMESPACES = (
    ' xmlns:media="http://search.yahoo.com/mrss/"'
    ' xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
    ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
    ' xmlns:dcterms="http://purl.org/dc/terms/"'
    ' xmlns:content="http://purl.org/rss/1.0/modules/content/"'
    f' xmlns:atom="{ATOM_NS}"'
    ' xmlns:slash="http://purl.org/rss/1.0/modules/slash/"'
    ' xmlns:georss="http://www.georss.org/georss"'
    ' xmlns:wp="http://wp.example/ns"'  # a namespace feedparser does not know
)
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
T = TypeVar("T")

TEXTS = (
    "",
    "   ",
    "A",
    "Two words",
    "  padded  ",
    "tab\tand\nnewline",
    "café",
    "日本語",
    "caf\u00c3\u00a9",  # UTF-8 read as Latin-1: feedparser reads it again as UTF-8
    "it\u00e2\u0080\u0099s",  # the same, for a right quotation mark
    "it\u00e2\u20ac\u2122s",  # UTF-8 read as Windows-1252
    "A&#150;B",  # a C1 control as a reference: feedparser takes it as Windows-1252
    "\u0093quoted\u0094",  # C1 controls as characters
    "\u0085next line",
    "\u00a0no-break\u00a0",
    "&amp; &quot;q&quot; &apos;s &#233;t&#xE9; &#x2014;",
    "&lt;b&gt;escaped&lt;/b&gt; markup",
    "&amp;lt;p&amp;gt;escaped twice",
    "<![CDATA[<p>html in CDATA</p>]]>",
    "<![CDATA[]]>",
    "x <![CDATA[& y]]> z",
)
URLS = (
    "https://a.example/1",
    "https://a.example/1",
    "http:///b.example/2",
    "/relative/3",
    "relative/4",
    "https://c.example/?a=1&amp;amp;b=2",
    "https://d.example/?x=1&amp;y;z",
    "",
    " https://e.example/5 ",
    "urn:uuid:6",
    "tag:x.example,2020:7",
    "g8",
    "HTTPS://F.Example:443/8?utm_source=x&amp;k=v#frag",
    "javascript:alert(9)",
)
BASES = (
    "https://base.example/dir/",
    "http://other.example",
    "/root/",
    "sub/",
    "",
    "http:///x/",
    "javascript:alert(1)",
)
DATES = (
    "Tue, 02 Sep 2025 04:10:00 +0300",
    "Tue, 02 Sep 2025 04:10:00 GMT",
    "Tue, 2 Sep 2025 04:10:00 EST",
    "Thu, 27 Aug 2026",
    "2025-09-03T01:10:00Z",
    "2025-09-03T01:10:00.123+02:00",
    "2025-09-04",
    "2020/1/10 14:33:00",
    "mer, 16 nov 2022 00:38:15 +0100",  # a day name feedparser does not know
    "Sun, 31 Dec 1899 00:00:00 GMT",
    "2025-13-45T99:00:00Z",
    "garbage",
    "",
)
# A text element's type attribute (None: none). The fast path keeps the text of these as it
# is; the declined ones (XHTML, base64, empty or unknown) it must leave to feedparser.
CONTENT_TYPES = (None, None, None, None, "html", "text", "plain", "text/html", "HTML")
DECLINED_TYPES = ("xhtml", "base64", "", "application/octet-stream")
LANGUAGES = ("en", "fr_FR", "pt-BR", " de ", "", "x")
# Markup inside content: the elements whose text can hold it, its types, and its parts.
XHTML_NS = "http://www.w3.org/1999/xhtml"
SVG_NS = "http://www.w3.org/2000/svg"
MARKUP_TAGS = frozenset(
    {
        "description",
        "dc:description",
        "itunes:summary",
        "media:description",
        "content:encoded",
        "atom:summary",
        "atom:content",
        "summary",
        "content",
    }
)
MARKUP_TYPES = (None, None, None, "html", "text", "xhtml", "XHTML", "application/xhtml+xml")
INLINE_TAGS = (
    *("p", "a", "br", "img", "em", "strong", "div", "span", "ul", "li", "b", "i"),
    *("code", "pre", "blockquote", "figure", "iframe", "script", "h2", "table", "td"),
)
INLINE_ATTRIBUTES = (
    ' href="https://a.example/?x=1&amp;y=2"',
    ' class="Lead"',
    ' REL="NoFollow"',
    ' rel="external"',
    ' Type="Text/HTML"',
    " title=\"a &quot;q&quot; &lt;b&gt; 's'\"",
    " alt=''",
    ' src="/i.png"',
    ' data-X="1"',
    ' xml:lang="fr"',
    ' lang="de"',
    ' style="color:red"',
    ' xml:base="https://inline.example/"',
)
INLINE_TEXTS = (
    "",
    " ",
    "\n  ",
    "x",
    "Two words",
    "a &amp; b",
    "&lt;b&gt;not a tag&lt;/b&gt;",
    "<![CDATA[<i>c</i> & d]]>",
    "café",
    "A&#150;B",
    "caf\u00c3\u00a9",
    "&#x2014; &#233;",
    "\u00a0",
)
SVG = (
    f'<svg xmlns="{SVG_NS}" viewBox="0 0 1 1" width="1"><path d="M0 0"/></svg>',
    f'<svg xmlns="{SVG_NS}" xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="#a"'
    ' transform="x"/><text x="1">t</text></svg>',
)


class FeedWriter:
    """Random RSS 2.0, Atom and RSS 1.0 documents; one seed always writes the same ones."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def document(self) -> bytes:
        kind = self._pick(("rss", "rss", "atom", "rdf"))
        text = {"rss": self._rss, "atom": self._atom, "rdf": self._rdf}[kind]()
        return self._encoded(text)

    # Whole documents.

    def _rss(self) -> str:
        version = self._pick(("2.0", "2.0", "2.0", "2.0", "2.01", "0.91"))
        children = self._some(self._channel_child, 0, 5, "rss")
        items = self._some(self._entry, 0, 3, "rss")
        parts = children + items if self._chance(0.8) else items + children
        if self._chance(0.2):
            self.rng.shuffle(parts)
        return (
            f'<rss version="{version}"{NAMESPACES}{self._root_attributes()}>'
            f"<channel{self._base()}{self._lang()}>" + "".join(parts) + "</channel></rss>"
        )

    def _atom(self) -> str:
        children = self._some(self._channel_child, 0, 5, "atom")
        entries = self._some(self._entry, 0, 3, "atom")
        return (
            f'<feed xmlns="{ATOM_NS}"{NAMESPACES}{self._root_attributes()}>'
            + "".join(children + entries)
            + "</feed>"
        )

    def _rdf(self) -> str:
        default = ' xmlns="http://purl.org/rss/1.0/"' if self._chance(0.9) else ""
        about = self._attribute("rdf:about", self._pick(URLS), 0.7)
        image = "<image><title>I</title><url>u</url></image>" if self._chance(0.2) else ""
        text_input = "<textinput><title>q</title></textinput>" if self._chance(0.1) else ""
        return (
            f'<rdf:RDF xmlns:rdf="{RDF_NS}"{default}{NAMESPACES}{self._root_attributes()}>'
            f"<channel{about}>"
            + "".join(self._some(self._channel_child, 0, 4, "rdf"))
            + "</channel>"
            + image
            + "".join(self._some(self._entry, 0, 3, "rdf"))
            + text_input
            + "</rdf:RDF>"
        )

    def _encoded(self, text: str) -> bytes:
        roll = self.rng.random()
        if roll < 0.08:
            declaration = '<?xml version="1.0" encoding="windows-1252"?>\n'
            return (declaration + text).encode("cp1252", "xmlcharrefreplace")
        if roll < 0.12:
            declaration = '<?xml version="1.0" encoding="iso-8859-1"?>'
            return (declaration + text).encode("iso-8859-1", "xmlcharrefreplace")
        if roll < 0.15:
            return "\ufeff<?xml version='1.0' encoding='utf-8'?>".encode() + text.encode()
        if roll < 0.17:  # Windows-1252 bytes that say nothing: not UTF-8, for feedparser
            return text.encode("cp1252", "xmlcharrefreplace")
        if roll < 0.19:  # a DOCTYPE, whose entities feedparser rewrites
            return f'<!DOCTYPE x [<!ENTITY e "entity">]>{text}'.encode()
        return text.encode()

    # A channel's (or an Atom feed's) own elements.

    def _channel_child(self, kind: str) -> str:
        options: list[Callable[[], str]] = [
            lambda: self._typed("title"),
            lambda: self._typed("title"),
            lambda: self._leaf("dc:title", self._text()),
            lambda: self._typed("media:title"),
            lambda: self._leaf("link", self._pick(URLS), self._base()),
            lambda: self._link(kind),
            lambda: self._leaf("language", self._pick(LANGUAGES)),
            lambda: self._leaf("dc:language", self._pick(LANGUAGES)),
            lambda: self._typed("description"),
            lambda: self._typed("itunes:summary"),
            lambda: self._typed("media:description"),
            lambda: self._typed("content:encoded"),
            lambda: self._leaf("atom:summary", self._text()),
            lambda: self._image(),
            lambda: (
                "<textInput>" + self._leaf("title", self._text()) + "<name>q</name></textInput>"
            ),
            lambda: '<itunes:image href="https://i.example/"/>',
            lambda: "<itunes:owner><itunes:name>o</itunes:name></itunes:owner>",
            lambda: self._leaf("generator", "g"),
            lambda: self._date(kind),
            lambda: self._leaf("wp:thing", "x"),
            lambda: self._guid(),
            lambda: self._leaf("atom:id", self._pick(URLS)),
        ]
        if kind == "atom":
            options += [
                lambda: self._leaf("id", self._pick(URLS)),
                lambda: self._link(kind),
                lambda: self._leaf("subtitle", self._text()),
                lambda: self._leaf("updated", self._pick(DATES)),
            ]
        return self._pick_and_write(options)

    # An item's (or an entry's) elements.

    def _entry(self, kind: str) -> str:
        tag = "entry" if kind == "atom" else "item"
        about = self._attribute("rdf:about", self._pick(URLS), 0.7) if kind == "rdf" else ""
        opening = f"<{tag}{about}{self._base()}{self._lang()}>"
        return opening + "".join(self._some(self._entry_child, 0, 9, kind)) + f"</{tag}>"

    def _entry_child(self, kind: str) -> str:
        if self._chance(0.012):
            return self._declined()
        options: list[Callable[[], str]] = [
            lambda: self._typed("title"),
            lambda: self._typed("title"),
            lambda: self._leaf("dc:title", self._text()),
            lambda: self._typed("media:title"),
            lambda: self._leaf("atom:title", self._text()),
            lambda: self._typed("description"),
            lambda: self._typed("description"),
            lambda: self._leaf("dc:description", self._text()),
            lambda: self._typed("itunes:summary"),
            lambda: self._typed("media:description"),
            lambda: self._typed("content:encoded"),
            lambda: self._typed("atom:summary"),
            lambda: self._typed("atom:content"),
            lambda: self._link(kind),
            lambda: self._link(kind),
            lambda: self._guid(),
            lambda: self._leaf("atom:id", self._pick(URLS)),
            lambda: self._date(kind),
            lambda: self._date(kind),
            lambda: self._media(),
            lambda: self._image(),
            lambda: self._leaf("image", self._pick(URLS)),
            lambda: self._leaf("source", self._text(), ' url="https://s.example/"'),
            lambda: (
                "<atom:author><atom:name>N</atom:name><atom:uri>https://p.example/</atom:uri></atom:author>"
            ),
            lambda: self._leaf("author", "a@b.example (A)"),
            lambda: self._leaf("dc:creator", self._text()),
            lambda: self._leaf("category", self._text()),
            lambda: '<enclosure url="https://m.example/x.mp3" type="audio/mpeg" length="1"/>',
            lambda: self._leaf("comments", self._pick(URLS)),
            lambda: self._leaf("slash:comments", "3"),
            lambda: self._leaf("itunes:subtitle", self._text()),
            lambda: '<itunes:image href="https://i.example/"/>',
            lambda: '<itunes:category text="a"><itunes:category text="b"/></itunes:category>',
            lambda: self._leaf("georss:point", self._pick(("1 2", "x", ""))),
            lambda: self._leaf("wp:uuid", self._text()),
            lambda: self._leaf("bigimage", self._pick(URLS)),
            lambda: "<!-- a comment -->",
        ]
        if kind == "atom":
            options += [
                lambda: self._typed("summary"),
                lambda: self._typed("content"),
                lambda: self._leaf("id", self._pick(URLS)),
                lambda: self._link(kind),
                lambda: self._link(kind),
                lambda: "<author><name>N</name><email>n@example.com</email></author>",
            ]
        return self._pick_and_write(options)

    def _link(self, kind: str) -> str:
        """A text <link>, or an Atom-style one (atom:link inside RSS) with rel/type/href."""
        if self._chance(0.35):
            return self._leaf("link", self._pick(URLS), self._base())
        rel = self._pick((None, "alternate", "self", "enclosure", "ALTERNATE", "standout", ""))
        link_type = self._pick(
            (None, None, "text/html", "application/rss+xml", "html", "TEXT/HTML")
        )
        href = self._pick((None, *URLS))
        href_name = self._pick(("href", "href", "url", "uri"))
        tag = "atom:link" if kind != "atom" and self._chance(0.8) else "link"
        return (
            f"<{tag}{self._attribute('rel', rel)}{self._attribute('type', link_type)}"
            f"{self._attribute(href_name, href)}{self._base()}/>"
        )

    def _guid(self) -> str:
        permalink = self._pick((None, None, "true", "false", "True", "FALSE"))
        name = self._pick(("isPermaLink", "ispermalink"))
        return self._leaf("guid", self._pick(URLS), self._attribute(name, permalink) + self._base())

    def _date(self, kind: str) -> str:
        tags = (
            ("published", "updated", "issued", "modified", "created", "dc:date", "dcterms:issued")
            if kind == "atom"
            else (
                "pubDate",
                "pubDate",
                "pubdate",
                "dc:date",
                "lastBuildDate",
                "dcterms:issued",
                "dcterms:created",
                "dcterms:modified",
                "atom:published",
                "atom:updated",
                "atom:created",
            )
        )
        return self._leaf(self._pick(tags), self._pick(DATES))

    def _media(self, nested: bool = False) -> str:
        """media:content or media:group, with Media RSS children (and one of each nested)."""
        children = []
        for _ in range(self.rng.randint(0, 4)):
            roll = self.rng.random()
            if roll < 0.3:
                children.append(self._typed("media:title"))
            elif roll < 0.6:
                children.append(self._typed("media:description"))
            elif roll < 0.7:
                children.append(f'<media:thumbnail url="{self._pick(URLS)}"/>')
            elif roll < 0.8:
                children.append(self._leaf("media:credit", self._text()))
            elif roll < 0.9 and not nested:
                children.append(self._media(nested=True))
            elif roll < 0.97:
                children.append(
                    "<media:community><media:starRating average='4'/></media:community>"
                )
            else:
                children.append(self._leaf("title", self._text()))  # not Media RSS: declined
        tag = self._pick(("media:content", "media:group"))
        url = self._attribute("url", self._pick(URLS), 0.8)
        return f"<{tag}{url}>" + "".join(children) + f"</{tag}>"

    def _image(self) -> str:
        return (
            "<image><url>u</url>"
            + self._leaf("title", self._text())
            + self._leaf("link", self._pick(URLS))
            + "</image>"
        )

    def _declined(self) -> str:
        """An element feedparser reads in a way the fast path does not reproduce."""
        return self._pick(
            (
                # Markup: a div opening escaped markup (feedparser drops it), elements with
                # end handlers of their own, MathML, SVG under a prefix, other namespaces.
                "<description><div>x</div>y</description>",
                "<description>a<source src='s'/></description>",
                "<content:encoded><p><title>t</title></p></content:encoded>",
                '<description><math xmlns="http://www.w3.org/1998/Math/MathML"><mi>x</mi></math></description>',
                '<description><s:svg xmlns:s="http://www.w3.org/2000/svg"/></description>',
                '<description><x:y xmlns:x="urn:x">z</x:y></description>',
                self._leaf("title", "x", self._attribute("type", self._pick(DECLINED_TYPES))),
                '<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></title>',
                "<content:encoded mode='base64'>SGk=</content:encoded>",
                "<description>a<b>bold</b></description>",
                "<abstract>A</abstract>",
                "<item><title>inner</title></item>",
                "<image><description>D</description></image>",
                "<media:content url='u'><title>T</title></media:content>",
                "<source><title>S</title></source>",
                "<title>&nbsp;</title>",  # an undeclared entity: not well-formed
            )
        )

    # Text, attributes and leaves.

    def _typed(self, tag: str) -> str:
        """A text element, sometimes with a type attribute (some of which are declined)."""
        if tag in MARKUP_TAGS and self._chance(0.3):
            return self._with_markup(tag)
        content_type = self._pick(CONTENT_TYPES)
        if self._chance(0.03):
            content_type = self._pick(DECLINED_TYPES)
        return self._leaf(tag, self._text(), self._attribute("type", content_type))

    def _with_markup(self, tag: str) -> str:
        """A content element holding markup, typed or not, wrapped in a <div> or not."""
        content_type = self._pick(MARKUP_TYPES)
        inner = "".join(self._inline(0) for _ in range(self.rng.randint(1, 4)))
        # A <div> first in escaped markup is declined: write it mostly around XHTML.
        roll = self.rng.random() * (1 if "xhtml" in (content_type or "").lower() else 8)
        if roll < 0.4:
            inner = f'<div xmlns="{XHTML_NS}"{self._inline_attributes()}>{inner}</div>'
        elif roll < 0.6:
            inner = f"{self._pick(INLINE_TEXTS)}<div>{inner}</div>{self._pick(INLINE_TEXTS)}"
        elif roll < 0.7:
            inner = f'<div xmlns="{XHTML_NS}">{inner}</div> <div xmlns="{XHTML_NS}">x</div>'
        return f"<{tag}{self._attribute('type', content_type)}>{inner}</{tag}>"

    def _inline(self, depth: int) -> str:
        """Text, or an inline element (sometimes upper-case, or SVG) with more inside."""
        if depth > 2 or self._chance(0.35):
            return self._pick(INLINE_TEXTS)
        if self._chance(0.04):
            return self._pick(SVG)
        tag = self._pick(INLINE_TAGS)
        tag = tag.upper() if self._chance(0.08) else tag
        inner = "".join(self._inline(depth + 1) for _ in range(self.rng.randint(0, 3)))
        attributes = self._inline_attributes()
        if not inner and self._chance(0.5):
            return f"<{tag}{attributes}/>"
        return f"<{tag}{attributes}>{inner}</{tag}>"

    def _inline_attributes(self) -> str:
        return "".join(self.rng.sample(INLINE_ATTRIBUTES, self.rng.choice((0, 0, 1, 2, 3))))

    def _leaf(self, tag: str, text: str, attributes: str = "") -> str:
        if not text and self._chance(0.3):
            return f"<{tag}{attributes}/>"
        return f"<{tag}{attributes}>{text}</{tag}>"

    def _text(self) -> str:
        return self._pick(TEXTS)

    def _root_attributes(self) -> str:
        lang = self._attribute("xml:lang", self._pick(("es", "en_GB", "", "fr-CA")), 0.4)
        return lang + self._base()

    def _base(self) -> str:
        return self._attribute("xml:base", self._pick(BASES), 0.06)

    def _lang(self) -> str:
        return self._attribute("xml:lang", self._pick(("it", "")), 0.05)

    def _attribute(self, name: str, value: str | None, chance: float = 1.0) -> str:
        if value is None or not self._chance(chance):
            return ""
        return f' {name}="{value}"'

    # Randomness.

    def _pick(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def _pick_and_write(self, options: Sequence[Callable[[], str]]) -> str:
        return self._pick(options)()

    def _chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def _some(self, write: Callable[[str], str], least: int, most: int, kind: str) -> list[str]:
        return [write(kind) for _ in range(self.rng.randint(least, most))]


@functools.cache
def documents(seed: int) -> tuple[bytes, ...]:
    writer = FeedWriter(seed)
    return tuple(writer.document() for _ in range(DOCUMENTS_PER_SEED))


def normalised(raw: RawFeed) -> list[dict[str, object]]:
    """Every field of every item the fetcher would publish from this feed."""
    return [item.model_dump() for item in normalise_feed(raw, SPEC, NOW)]


def differences(fast: RawFeed, slow: RawFeed) -> list[str]:
    """The published fields that differ, then the raw entries' fields, to see why."""
    fast_items, slow_items = normalised(fast), normalised(slow)
    if fast_items == slow_items:
        return []
    found = []
    if len(fast_items) != len(slow_items):
        found.append(
            f"{len(fast_items)} items from the fast path, {len(slow_items)} from feedparser"
        )
    for number, (mine, theirs) in enumerate(zip(fast_items, slow_items, strict=False)):
        found += [
            f"published item {number} {name}: fast path {mine[name]!r}, feedparser {theirs[name]!r}"
            for name in mine
            if mine[name] != theirs[name]
        ]
    for name in ("title", "link", "language"):
        if getattr(fast, name) != getattr(slow, name):
            found.append(
                f"raw feed {name}: fast path {getattr(fast, name)!r}, feedparser {getattr(slow, name)!r}"
            )
    fast_entries = [dataclasses.asdict(e) for e in fast.entries]
    slow_entries = [dataclasses.asdict(e) for e in slow.entries]
    for number, (mine, theirs) in enumerate(zip(fast_entries, slow_entries, strict=False)):
        found += [
            f"raw entry {number} {name}: fast path {mine[name]!r}, feedparser {theirs[name]!r}"
            for name in mine
            if mine[name] != theirs[name]
        ]
    return found


def disagreement(body: bytes) -> list[str]:
    """Why the fast path's reading of ``body`` is wrong; empty if it declines or agrees."""
    try:
        fast = parse_simple_feed(body)
    except Exception as exc:
        return [f"the fast path raised {exc!r} instead of declining"]
    if fast is None:
        return []
    try:
        slow = parse_xml_feed(body)
    except FeedParseError as exc:
        return [f"the fast path read a document feedparser refuses ({exc})"]
    return differences(fast, slow)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_fast_path_reads_random_feeds_as_feedparser_does_or_declines(seed: int) -> None:
    failures = []
    for number, body in enumerate(documents(seed)):
        if found := disagreement(body):
            failures.append((number, body, found))
    if failures:
        number, body, found = failures[0]
        pytest.fail(
            f"seed {seed}: {len(failures)} of {DOCUMENTS_PER_SEED} documents read differently;"
            f" the first, document {number}:\n  " + "\n  ".join(found) + f"\n{body!r}",
            pytrace=False,
        )


def test_the_random_feeds_are_often_read_by_the_fast_path_and_sometimes_declined() -> None:
    """Otherwise the comparison above would run on too few documents to mean anything, or
    the generator would no longer write anything the fast path must leave to feedparser."""
    bodies = [body for seed in SEEDS for body in documents(seed)]
    read = [fast for body in bodies if (fast := parse_simple_feed(body)) is not None]
    with_items = [fast for fast in read if normalised(fast)]
    declined = len(bodies) - len(read)
    assert len(read) >= len(bodies) / 3, f"the fast path read only {len(read)} of {len(bodies)}"
    assert len(with_items) >= len(bodies) / 5, f"only {len(with_items)} documents had items"
    assert declined >= len(bodies) / 20, f"the fast path declined only {declined}"
