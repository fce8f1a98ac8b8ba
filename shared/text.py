"""Feed text to clean plain text: HTML stripped, entities decoded, whitespace folded.

Shared because the fetcher cleans what it publishes and `newswatch classify` cleans
what it is given, and both must agree on what the evidence offsets point into.

`_TextCollector` (html.parser) is the definition of what a layer of markup turns into.
It is slow (some 170 µs for a typical HTML summary of a real feed), so `_strip_simple`
handles the common shapes (entities without tags; plain well-formed tags; embeds such as
iframe, svg and script whose content is hidden) with a regex and gives exactly the same
string; whatever it has not been proven on, it declines and the collector decides. The
output must not change by one byte: de-duplication fingerprints and the classifier's
evidence offsets are computed from it.
tests/unit/test_clean_text_differential.py holds the two to each other.
"""

import re
from html import unescape
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    [
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "tr",
        "td",
        "th",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "section",
        "article",
        "figure",
        "figcaption",
        "header",
        "footer",
        "pre",
        "table",
    ]
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "iframe", "svg"})
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!][^>]*>|&[#a-zA-Z0-9]+;")
# After one decoding, only real HTML tags mean a second layer: "<integer>" in a code
# sample was escaped on purpose and is text.
_HTML_AGAIN = re.compile(
    r"</?(p|a|br|div|span|img|b|i|em|strong|u|ul|ol|li|h[1-6]|figure|figcaption|blockquote|"
    r"table|tr|td|iframe|script|style|font|center|hr|pre|code|small|sup|sub)\b[^>]*>|&(amp|lt|gt|quot|nbsp|#\d+);",
    re.IGNORECASE,
)


# The fast path's grammar: a strict subset of what html.parser reads as one whole start or
# end tag. Whitespace is spelled out because html.parser's tag names end only at ASCII space,
# tab, CR, LF or FF; "\s" also matches \xa0, \v and \u2028, which html.parser keeps in a name.
_SP = "[ \t\n\r\f]"
_NAME = "[a-zA-Z][-.:a-zA-Z0-9_]*"
# An unquoted attribute value: printable ASCII without quotes, "<", "=", ">" or "`".
_BARE = "[!#-&(-;?-_a-~]+"
# Groups: start tag name, "/" of a self-closing tag, end tag name.
_TAG = re.compile(
    rf"<(?:({_NAME})(?:{_SP}+[a-zA-Z_:][-.:a-zA-Z0-9_]*"
    rf"""(?:{_SP}*={_SP}*(?:"[^"]*"|'[^']*'|{_BARE}))?)*{_SP}*(/?)"""
    rf"|/({_NAME}){_SP}*)>"
)
# A "<" that might start markup html.parser reads otherwise (a tag outside the grammar,
# a comment, a declaration, a processing instruction). Any other "<" (before a space, a
# digit, at the end) html.parser passes on as text.
_MARKUP_START = re.compile("<[a-zA-Z/!?]")
# html.parser decodes attribute values, which the fast path skips; a decimal reference of
# over 640 digits can exceed int()'s limit, and html.parser then raises ValueError.
_LONG_CHARREF = re.compile("&#[0-9]{640}")
# What each tag becomes, by lower-cased name, "/" appended for a self-closing start tag:
# a block tag a space, twice when self-closing (html.parser calls start and end); any
# other tag nothing. None leaves the value to `_strip_in_order`: the skipped tags hide the
# text after them, and the rest are raw or escaped text in newer html.parsers.
_RAW_OR_ESCAPED = frozenset({"xmp", "noembed", "noframes", "plaintext", "textarea", "title"})
_TAG_TEXT: dict[str, str | None] = {
    **{name: " " for name in _BLOCK_TAGS},
    **{name + "/": "  " for name in _BLOCK_TAGS},
    **{name + slash: None for name in _SKIP_TAGS | _RAW_OR_ESCAPED for slash in ("", "/")},
}
# html.parser reads script and style as raw text up to this end tag (its own pattern, from
# HTMLParser.set_cdata_mode). The in-order path is proven on the html.parser whose raw-text
# elements are exactly these two; newer ones read more elements as raw or escaped text.
_IN_ORDER_PROVEN = HTMLParser.CDATA_CONTENT_ELEMENTS == ("script", "style") and not hasattr(
    HTMLParser, "RCDATA_CONTENT_ELEMENTS"
)
_RAW_TEXT_END = {
    name: re.compile(rf"</\s*{name}\s*>", re.I) for name in HTMLParser.CDATA_CONTENT_ELEMENTS
}


def _strip_simple(value: str) -> str | None:
    """What `_TextCollector` makes of `value`, or None where that is not proven.

    html.parser unescapes each run of text between two tags as a whole, and a "<" ends
    every character reference, so a run may hold a stray "<" and still be unescaped whole.
    """
    if "<" not in value:
        # No tag can start: html.parser hands the whole string, unescaped, to handle_data.
        return unescape(value)
    if "&#" in value and _LONG_CHARREF.search(value):
        return None  # clean_text must raise where html.parser does
    # [text, start name, "/", end name, text, ..., text]; None for a group that is unused.
    pieces = _TAG.split(value)
    texts = pieces[::4]
    tags = [
        _TAG_TEXT.get((name + slash if name else end_name).lower(), "")
        for name, slash, end_name in zip(pieces[1::4], pieces[2::4], pieces[3::4], strict=True)
    ]
    if None in tags:
        return _strip_in_order(value) if _IN_ORDER_PROVEN else None
    # More "<" than tags: some are in the text (or in quoted values); are they text?
    if value.count("<") != len(texts) - 1 and any(
        "<" in text and _MARKUP_START.search(text) for text in texts
    ):
        return None
    if "&" in value:
        texts = [unescape(text) for text in texts]
    out = texts + tags
    out[::2] = texts
    out[1::2] = tags
    return "".join(out)


def _strip_in_order(value: str) -> str | None:
    """`_strip_simple` for a value holding tags that hide what follows them, one tag at a
    time: a text run is kept or dropped by the skipped elements open before it, and a
    script or style element's content is raw text up to its end tag, not markup.
    """
    out: list[str] = []
    hidden = 0  # _TextCollector._skipping
    pos = 0
    while True:
        tag = _TAG.search(value, pos)
        text = value[pos : tag.start() if tag else len(value)]
        if "<" in text and _MARKUP_START.search(text):
            return None
        if text and not hidden:
            out.append(unescape(text) if "&" in text else text)
        if tag is None:
            return "".join(out)
        pos = tag.end()
        name, slash, end_name = tag.groups()
        key = (name + slash if name else end_name).lower()
        if (name or end_name).lower() in _RAW_OR_ESCAPED:
            return None
        if name and key in _RAW_TEXT_END:
            # Start and end tag cancel out and the raw text between is hidden. html.parser
            # matches the end tag case-insensitively, where "ſ" or "K" can stand for a
            # letter, then reads its name as ASCII only: decline anything but ASCII.
            close = _RAW_TEXT_END[key].search(value, pos)
            if close is None or not close.group().isascii():
                return None
            pos = close.end()
        elif key in _SKIP_TAGS:  # a start tag, or an end tag that closes one if any is open
            hidden = hidden + 1 if name else max(hidden - 1, 0)
        else:  # block tags count even while hidden; a self-closing skipped tag is nothing
            out.append(_TAG_TEXT.get(key) or "")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def clean_text(value: str | None) -> str:
    """Plain text from a feed field that may hold HTML, entities or both.

    Double-escaped feeds ("&lt;p&gt;" inside an already escaped field) reveal a
    second layer of markup once decoded, so markup is stripped until none is left
    (at most three layers: enough for any publisher seen in the wild).
    """
    if not value:
        return ""
    for layer in range(3):
        if not (_LOOKS_LIKE_HTML if layer == 0 else _HTML_AGAIN).search(value):
            break
        stripped = _strip_simple(value)
        if stripped is None:
            collector = _TextCollector()
            collector.feed(value)
            collector.close()
            stripped = "".join(collector.parts)
        value = stripped
    # The same as re.sub(r"\s+", " ", value).strip(), several times faster: str.split()
    # and re's \s agree on every code point (the differential test checks all of them).
    return " ".join(value.split())
