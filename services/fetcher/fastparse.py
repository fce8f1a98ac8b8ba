"""A fast path for well-formed RSS 2.0, RSS 1.0 (RDF) and Atom documents, with lxml.

feedparser reads anything, at about 0.1 ms per entry; most feeds are well-formed, and
lxml reads those an order of magnitude faster. This reader does what feedparser's SAX
handler does, element by element, for the elements whose effect on a title, summary,
link, id, date or language it reproduces exactly (``fastparse_extensions`` names them:
RSS, Atom, Dublin Core, Media RSS, iTunes...), including feedparser's rules for which of
several wins. It returns None for anything else, which then goes to feedparser:
malformed XML, DOCTYPEs, XHTML or base64 content, handlers it does not know,
elements where feedparser would not expect them. The tests hold it to identical items on
real feeds and on hand-written cases. Dates, URL clean-up and the character fixes that
feedparser applies to every value are feedparser's own functions, so they cannot differ.
"""

import calendar
import re
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from time import struct_time
from typing import TypeAlias

# feedparser's own helpers, private names: feedparser is pinned for them (pyproject.toml).
from feedparser.datetimes import _parse_date
from feedparser.html import _cp1252
from feedparser.urls import _urljoin, make_safe_absolute_uri
from lxml import etree

from newswatch.fetcher import fastparse_extensions as ext
from newswatch.fetcher import fastparse_markup as markup
from newswatch.fetcher.entries import RawEntry, RawFeed

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    recover=False,
    remove_comments=True,
    remove_pis=True,
)
ATOM = "{http://www.w3.org/2005/Atom}"
# Content types whose text feedparser keeps as it is: others are base64 or escaped XHTML.
_TEXT_TYPES = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}
_KEPT_TYPES = frozenset({"text/plain", "text/html"})
# Content whose markup fastparse_markup writes out as feedparser does.
_MARKUP_TYPES = _KEPT_TYPES | {markup.XHTML_TYPE}
# Namespaces whose declaration sets feedparser's version, if none is set yet: the version
# decides whether an XHTML value loses its enclosing <div> (only in Atom 1.0).
_VERSIONS = {
    "http://www.w3.org/2005/atom": "atom10",
    "http://purl.org/rss/1.0/": "rss10",
}
_NETSCAPE = "http://my.netscape.com/rdf/simple/0.9/"  # rss090, as the default namespace
_XLINK = markup.XLINK.encode()
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")
# C1 controls (U+0080-U+009F) as UTF-8 writes them: searching the encoded bytes is about
# five times faster than a regular expression over the text.
_C1_CONTROLS = re.compile(b"\xc2[\x80-\x9f]")
# Roles that only open a context for their children (or none, for a leaf).
_OPENS = {
    ext.AUTHOR: "person",
    ext.MEDIA: "media",
    ext.NESTED_CATEGORY: "category",
    ext.INERT: "leaf",
    ext.GENERIC: "generic",
}
Attrs = dict[str, str]  # as feedparser's handlers see them (fastparse_extensions.attributes)
Element: TypeAlias = etree._Element
_NO_ATTRIBUTES: Attrs = {}  # shared: handlers only read attributes


def well_formed(body: bytes) -> bool:
    """Whether this reader's strict parser reads the body (whatever it then makes of it)."""
    try:
        return etree.fromstring(body, _PARSER) is not None
    except (etree.XMLSyntaxError, ValueError):
        return False


class _NotSimple(markup.Unreproduced):
    """Something this reader does not reproduce exactly: feedparser's turn."""


def parse_simple_feed(body: bytes, content_type: str | None = None) -> RawFeed | None:
    if content_type and "charset=" in content_type.lower():
        return None  # an HTTP charset may override the document's own: feedparser weighs both
    try:
        root = etree.fromstring(body, _PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None or root.getroottree().docinfo.doctype:
        return None  # feedparser rewrites a DOCTYPE and the entities it declares
    try:
        return _Reader(xlink=_XLINK in body).read(root)
    except markup.Unreproduced:
        return None


class _Entry:
    """The keys of one feedparser entry that parse.py reads, and the depth of each."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}  # title, summary, id
        self.depths: dict[str, int] = {}
        self.content: list[str] = []
        self.link: str | None = None
        self.dates: dict[str, struct_time | None] = {}

    def store(self, key: str, value: str, depth: int) -> None:
        # feedparser keeps a value unless a later one comes at the same depth or shallower.
        if depth <= self.depths.get(key, depth):
            self.values[key] = value
            self.depths[key] = depth

    def raw(self) -> RawEntry:
        """What parse.py's _entry_from_feedparser makes of it."""
        summary = self.values.get("summary") or ""
        if not summary and self.content:
            summary = self.content[0]
        dates = self.dates
        return RawEntry(
            title=self.values.get("title", ""),
            summary=summary,
            link=self.link,
            guid=self.values.get("id") or None,
            published=_datetime(
                dates.get("published") or dates.get("updated") or dates.get("created")
            ),
        )


class _Reader:
    """feedparser's handler state over one document, for the elements it reproduces.

    Each handler below does what feedparser's ``_start_``/``_end_`` pair does for a role
    (see ``fastparse_extensions.ROLES``) and returns the context its children are in.
    Handlers take (element, feedparser's name, attributes, depth, parent's context).
    """

    def __init__(self, xlink: bool = False) -> None:
        self.names = ext.FeedparserNames()
        self.version = ""  # feedparser's version, as far as markup depends on it
        self.xlink = xlink  # whether the document may declare the xlink namespace
        self.declared: tuple[Element | None, list[tuple[str, str]]] = (None, [])
        self.title_depth = -1  # a title at this depth or deeper does not replace one
        self.has_content = False  # not reset between a feed's root and its first entry
        self.in_feed = False
        self.rdf = False
        self.feed: dict[str, str] = {}  # title, link, language, summary
        self.entry: _Entry | None = None
        self.entries: list[RawEntry] = []
        self.base = ""  # feedparser's baseuri: xml:base, which links and ids resolve against
        self.bases: list[str] = []
        self.joined: dict[tuple[str, str], str] = {}

    def read(self, root: Element) -> RawFeed:
        stack: list[str] = []
        declared: list[tuple[str, str]] = []  # on the element about to start
        for event, el in etree.iterwalk(root, events=("start-ns", "start", "end")):
            if event == "start-ns":
                self._declare(*el)
                declared.append(el)
            elif event == "start":
                parent = stack[-1] if stack else "document"
                if declared:  # rare: kept for fastparse_markup, with the element they are on
                    self.declared, declared = (el, declared), []
                stack.append(self._start(el, parent, len(stack) + 1))
            else:
                self._leave_base()
                if stack.pop() in ("entry", "feed"):
                    self._end()
        if self.rdf and not self.entries:
            # feedparser knows an RDF document's version only from the RSS 1.0 namespace:
            # without it, and without items, parse.py refuses the document.
            raise _NotSimple("RDF without items")
        return RawFeed(
            title=self.feed.get("title", ""),
            link=self.feed.get("link"),
            language=self.feed.get("language"),
            entries=self.entries,
            reader="fast",
        )

    def _declare(self, prefix: str, uri: str) -> None:
        """feedparser's startPrefixMapping: names, and the version if there is none yet."""
        self.names.declare(prefix, uri)
        if not self.version and uri:
            lower = uri.lower()
            self.version = _VERSIONS.get(lower, "")
            if not prefix and lower == _NETSCAPE:
                self.version = "rss090"

    def _start(self, el: Element, parent: str, depth: int) -> str:
        """Do what feedparser does when ``el`` starts; return the context of its children."""
        name, role = self.names.element(el.tag)
        attrs = ext.attributes(el) if len(el.attrib) else _NO_ATTRIBUTES
        self._enter_base(attrs.get("xml:base", attrs.get("base")))
        if parent == "markup":
            on, declared = self.declared
            markup.check_child(el, name, declared if on is el else [])
            return "markup"  # written out into the content's value (fastparse_markup)
        if parent == "document":
            return self._root(el, name, attrs)
        if role is None or not ext.allowed(parent, name, role):
            raise _NotSimple(f"{name} in {parent}")
        if role in _OPENS:
            return _OPENS[role]
        return _HANDLERS[role](self, el, name, attrs, depth, parent)

    def _end(self) -> None:
        """The end of an entry, or of a channel or Atom feed."""
        if self.entry is not None:
            self.entries.append(self.entry.raw())
            self.entry = None
            self.has_content = False
        else:
            self.in_feed = False

    # xml:base

    def _enter_base(self, base: str | None) -> None:
        """feedparser's xml:base bookkeeping when an element starts."""
        base = base or self.base
        if self.base:
            key = (self.base, base)  # the same pair for every element below an xml:base
            if key not in self.joined:
                self.joined[key] = make_safe_absolute_uri(self.base, base) or self.base
            self.base = self.joined[key]
        elif base:
            self.base = _urljoin("", base)
        self.bases.append(self.base)

    def _leave_base(self) -> None:
        # As feedparser does: the parent's base comes back only if it is not empty.
        self.bases.pop()
        if self.bases and self.bases[-1]:
            self.base = self.bases[-1]

    def _resolved(self, uri: str) -> str:
        """feedparser's resolve_uri. With no base it only drops extra slashes after
        'scheme://', and a regular expression substitution is slow enough to skip then."""
        if self.base or ":///" in uri:
            joined: str = _urljoin(self.base, uri)
            return joined
        return uri

    # The document's root, channels and entries.

    def _root(self, el: Element, name: str, attrs: Attrs) -> str:
        if name == "rdf_rdf":
            self.rdf = True
            return "rdf"  # feedparser misses an RDF root's xml:lang: 'rdf:rdf' != 'rdf:RDF'
        if name == "rss" and attrs.get("version", "").startswith("2."):
            context, self.version = "rss", "rss20"
        elif el.tag == f"{ATOM}feed":
            context, self.in_feed = "feed", True
            self.version = self.version or "atom"
        else:
            raise _NotSimple(f"root {name}")
        lang = attrs.get("xml:lang", attrs.get("lang"))
        if lang:
            self.feed["language"] = lang.replace("_", "-")
        return context

    def _channel(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        _no_cdf(attrs)
        self.in_feed = True
        return "feed"

    def _item(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        _no_cdf(attrs)
        self.entry = _Entry()
        self.title_depth = -1
        about = attrs.get(self.names.about_key())
        if about:
            self.entry.values["id"] = about  # as it is: not stripped, not a depth of its own
        return "entry"

    def _image(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        self.title_depth = -1
        return "image"

    def _textinput(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        self.title_depth = -1
        return "textinput"

    def _source(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        _no_children(el)  # an Atom source's children describe the source, not the entry
        self.title_depth = -1
        return "leaf"

    # Text: titles, summaries, content.

    def _title(
        self, el: Element, name: str, attrs: Attrs, depth: int, parent: str, media: bool = False
    ) -> str:
        value = _popped(_leaf_text(el, attrs))
        if not -1 < self.title_depth <= depth:
            if self.entry is not None:
                self.entry.store("title", value, depth)
            elif self.in_feed and parent in ("feed", "media"):
                self.feed["title"] = value  # an <image>'s or <textInput>'s is their own
        if value and not media:  # media:title puts title_depth back as it was
            self.title_depth = depth
        return "leaf"

    def _media_title(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        return self._title(el, name, attrs, depth, parent, media=True)

    def _description(
        self, el: Element, name: str, attrs: Attrs, depth: int, parent: str, summary: bool = False
    ) -> str:
        """description, media:description, itunes:summary: the first is the summary and a
        later one content, unless there was content before (then a later one is the summary,
        at the same depth or shallower)."""
        value, context = self._content_value(el, attrs)
        if parent in ("image", "textinput"):
            if self.entry is not None:
                raise _NotSimple("description in an entry's image")  # feedparser's summary
            return context  # the image's or text input's own
        if self.entry is not None:
            if "summary" in self.entry.values and not self.has_content:
                self.has_content = True
                self.entry.content.append(value)
            else:
                self.entry.store("summary", value, depth)
        elif "summary" in self.feed and not self.has_content:
            self.has_content = True  # and on into the first entry
        elif summary:
            self.feed["summary"] = value  # a description is the feed's subtitle instead
        return context

    def _summary(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        return self._description(el, name, attrs, depth, parent, summary=True)

    def _content(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        """content:encoded and Atom content: content, and the summary if there is none."""
        value, context = self._content_value(el, attrs)
        self.has_content = True
        if self.entry is not None:
            self.entry.content.append(value)
            self.entry.values.setdefault("summary", value)  # at no depth: any later one wins
        else:
            self.feed.setdefault("summary", value)
        return context

    def _content_value(self, el: Element, attrs: Attrs) -> tuple[str, str]:
        """The value of a description, summary or content element, with any markup in it
        written out as feedparser does; and the context of its children."""
        kind = _content_type(attrs["type"]) if "type" in attrs else "text/html"
        if "mode" in attrs or kind not in _MARKUP_TYPES:
            raise _NotSimple("base64 or another content type")
        value = markup.content_text(el, kind, self.version == "atom10", self.xlink)
        return _popped(value), "markup" if len(el) else "leaf"

    # Links, ids, dates and languages.

    def _link(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        _no_children(el)
        attrs = _enforce_href(attrs)
        if "href" in attrs:
            if parent in ("image", "textinput"):
                raise _NotSimple("href in an image or text input")
            rel = attrs.setdefault("rel", "alternate")
            kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html")
            if rel == "alternate" and _content_type(kind) in _HTML_TYPES:
                self._set_link(self._resolved(attrs["href"]))
            return "leaf"
        value = _popped(el.text)
        if value:
            value = self._resolved(value)
        if parent in ("image", "textinput"):
            return "leaf"  # the image's or text input's own
        if self.entry is not None:
            self.entry.link = _unentity(value.replace("&amp;", "&"))
        elif self.in_feed:
            self.feed["link"] = _unentity(value)
        return "leaf"

    def _set_link(self, href: str) -> None:
        if self.entry is not None:
            self.entry.link = href
        else:
            self.feed["link"] = href

    def _id(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        """guid, and Atom's id: a permalink one is also the link, if there is none yet."""
        permalink = attrs.get("ispermalink", "true") == "true"
        value = _popped(_leaf_text(el, _NO_ATTRIBUTES))
        if value and permalink:
            value = self._resolved(value)
        if self.entry is not None:
            self.entry.store("id", value, depth)
            if permalink and self.entry.link is None:
                self.entry.link = value
        elif permalink:
            self.feed.setdefault("link", value)
        return "leaf"

    def _date(self, el: Element, kind: str) -> str:
        value = _popped(_leaf_text(el, _NO_ATTRIBUTES))
        try:
            parsed = _parse_date(value)
        except Exception as exc:  # feedparser itself would fail on it
            raise _NotSimple(f"date {value!r}") from exc
        if self.entry is not None:
            self.entry.dates[kind] = parsed  # the last one, even one that does not parse
        return "leaf"

    def _published(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        return self._date(el, "published")

    def _updated(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        return self._date(el, "updated")

    def _created(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        return self._date(el, "created")

    def _language(self, el: Element, name: str, attrs: Attrs, depth: int, parent: str) -> str:
        value = _popped(_leaf_text(el, _NO_ATTRIBUTES))
        if self.entry is None and self.in_feed:
            self.feed["language"] = value
        return "leaf"


_HANDLERS: dict[str, Callable[..., str]] = {
    role: getattr(_Reader, f"_{role}") for role in set(ext.ROLES.values()) - set(_OPENS)
}


def _no_cdf(attrs: Attrs) -> None:
    if "href" in attrs or "lastmod" in attrs:
        raise _NotSimple("CDF attributes")  # feedparser reads them as a link and a date


def _no_children(el: Element) -> None:
    if len(el):
        raise _NotSimple("element content")


def _leaf_text(el: Element, attrs: Attrs) -> str | None:
    """The text of an element whose value feedparser keeps as it is."""
    _no_children(el)
    if "mode" in attrs or ("type" in attrs and _content_type(attrs["type"]) not in _KEPT_TYPES):
        raise _NotSimple("base64, XHTML or another content type")
    text: str | None = el.text
    return text


def _content_type(value: str) -> str:
    value = value.lower()
    return "application/xhtml+xml" if value == "xhtml" else _TEXT_TYPES.get(value, value)


def _enforce_href(attrs: Attrs) -> Attrs:
    """feedparser's _enforce_href: url, else uri, else href, when not empty."""
    attrs = dict(attrs)
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


def _unentity(link: str) -> str:
    """feedparser's repair of a link whose query was escaped twice: '&a;' becomes '&a'."""
    return _ENTITY_LIKE.sub(r"&\g<1>", link) if "&" in link else link


def _popped(text: str | None) -> str:
    """A value as feedparser's pop() leaves it: stripped, UTF-8 read as Latin-1 read again as
    UTF-8, and C1 control characters taken as the Windows-1252 characters they stand for."""
    value = (text or "").strip()
    if value.isascii():
        return value
    with suppress(UnicodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    # str.translate looks each character up in a dict: only when there is one to replace.
    has_c1 = _C1_CONTROLS.search(value.encode("utf-8", "surrogatepass"))
    return value.translate(_cp1252) if has_c1 else value


def _datetime(parsed: struct_time | None) -> datetime | None:
    """As parse.py's _struct_to_datetime: feedparser's struct_time is UTC."""
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None
