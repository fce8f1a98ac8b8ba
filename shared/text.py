"""Feed text to clean plain text: HTML stripped, entities decoded, whitespace folded.

Shared because the fetcher cleans what it publishes and `newswatch classify` cleans
what it is given, and both must agree on what the evidence offsets point into.
"""

import re
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
_WS = re.compile(r"\s+")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!][^>]*>|&[#a-zA-Z0-9]+;")
# After one decoding, only real HTML tags mean a second layer: "<integer>" in a code
# sample was escaped on purpose and is text.
_HTML_AGAIN = re.compile(
    r"</?(p|a|br|div|span|img|b|i|em|strong|u|ul|ol|li|h[1-6]|figure|figcaption|blockquote|"
    r"table|tr|td|iframe|script|style|font|center|hr|pre|code|small|sup|sub)\b[^>]*>|&(amp|lt|gt|quot|nbsp|#\d+);",
    re.IGNORECASE,
)


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
        collector = _TextCollector()
        collector.feed(value)
        collector.close()
        value = "".join(collector.parts)
    return _WS.sub(" ", value).strip()
