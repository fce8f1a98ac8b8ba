"""clean_text against a frozen copy of its old html.parser implementation: byte for byte.

``newswatch.shared.text.clean_text`` strips simple markup with a regex (``_strip_simple``)
and leaves everything else to ``_TextCollector`` (html.parser). Its output feeds the
de-duplication fingerprints and the classifier's evidence offsets, so it must not change
by one byte: a changed text re-alerts old news after an upgrade. Declining is always safe;
a wrong answer from the fast path is not.

The reference below is the implementation as it was before the fast path, copied
verbatim. Every input goes through both, and through ``_strip_simple`` alone against one
``_TextCollector`` pass (one layer), so that the fast path is held to the collector even
where clean_text's "looks like HTML" checks would not call it:

- a seeded generator of documents mixing what feeds carry and what html.parser treats
  specially (comments, declarations, CDATA, script and style, unquoted or odd
  attributes, every kind of character reference, double-escaped layers, stray "<" and
  ">", non-ASCII text and whitespace);
- a second generator of documents with embeds (script, style, iframe, svg...: nested,
  unclosed, closed twice, with raw text and loosely written end tags), which the fast
  path reads tag by tag (``_strip_in_order``);
- every string literal in test_parse_and_normalise.py (its hand-written cases);
- the fields of the real feeds under ../shared/feeds/real, both as feedparser hands them
  over and as raw element text cut from the documents, so that real markup reaches
  clean_text.
"""

import ast
import gzip
import html
import json
import random
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from newswatch.shared import text as fast

HERE = Path(__file__).resolve().parent
REAL_FEEDS = HERE.parent.parent.parent / "shared" / "feeds" / "real"
SEEDS = (11, 12, 13)
DOCUMENTS_PER_SEED = 1_500

# ---- The reference: shared/text.py before the fast path, verbatim. ----------------------

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


reference_clean_text = clean_text


def reference_layer(value: str) -> str:
    """One pass of the reference collector, as clean_text makes it for each layer."""
    collector = _TextCollector()
    collector.feed(value)
    collector.close()
    return "".join(collector.parts)


def outcome(clean, value: str) -> tuple[str, str]:
    """The text, or the exception (html.parser can raise on absurd input)."""
    try:
        return "text", clean(value)
    except ValueError as error:
        return "raises", type(error).__name__


def check(value: str) -> None:
    assert outcome(fast.clean_text, value) == outcome(reference_clean_text, value), value
    if outcome(fast._strip_simple, value) != ("text", None):
        assert outcome(fast._strip_simple, value) == outcome(reference_layer, value), value


# ---- The generator. -----------------------------------------------------------------------

WORDS = (
    "Kharkiv",
    "strike",
    "officials",
    "said",
    "3",
    "2025",
    "café",
    "naïve",
    "Ærø",
    "Straße",
    "Київ",
    "обстріл",
    "Москва",
    "الحرب",
    "غزة",
    "東京",
    "😀",
    "a",
    "I",
    "x=1",
    "e.g.",
    "—",
    "«quoted»",
    '"double"',
    "'single'",
    "a;b",
    "#tag",
    "50%",
    "1/2",
    "a-b",
    "ſcript",
)
SPACES = (" ", " ", " ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2028", "\u3000", "\x0b", "\x1c", "")
BLOCK = ("p", "br", "div", "li", "ul", "td", "tr", "h2", "blockquote", "figure", "pre", "table")
INLINE = ("a", "span", "b", "i", "em", "strong", "img", "code", "font", "sup", "hr", "o:p", "tbody")
SKIP = ("script", "style", "noscript", "template", "iframe", "svg", "title", "textarea", "xmp")
ENTITIES = (
    "&amp;",
    "&lt;",
    "&gt;",
    "&quot;",
    "&apos;",
    "&nbsp;",
    "&eacute;",
    "&Eacute;",
    "&hellip;",
    "&mdash;",
    "&amp",
    "&lt",
    "&gt",
    "&copy",
    "&notin;",
    "&notit;",
    "&not",
    "&#169;",
    "&#xA9;",
    "&#XA9;",
    "&#65",
    "&#x41",
    "&#0;",
    "&#13;",
    "&#128;",
    "&#150;",
    "&#xD800;",
    "&#x110000;",
    "&#99999999999;",
    "&#;",
    "&#x;",
    "&#",
    "&#x",
    "&bogus;",
    "&Bogus",
    "&a",
    "&",
    "& ",
    "&&",
    "&;",
    "&amp;lt;",
    "&amp;amp;",
    "&amp;gt;",
    "&amp;#169;",
    "&lt;p&gt;",
    "&lt;/p&gt;",
    "&lt;br/&gt;",
    "&lt;b&gt;",
    "&lt;/b&gt;",
    "&lt;integer&gt;",
    "&lt;script&gt;",
    "&lt;/script&gt;",
    "&lt;!-- c --&gt;",
    "&amp;lt;p&amp;gt;",
    "&amp;lt;/p&amp;gt;",
    "&lt;a href=&quot;x&quot;&gt;",
)
ODD = (
    "<!-- comment -->",
    "<!-- <p>inside</p> -->",
    "<!---->",
    "<!-->",
    "<!--",
    "-->",
    "<!DOCTYPE html>",
    "<!doctype html",
    "<!x>",
    "<![CDATA[ <b>x</b> & y ]]>",
    "<![CDATA[",
    "]]>",
    '<?xml version="1.0"?>',
    "<?php echo 1 ?>",
    "<?",
    "<",
    "< ",
    "<3",
    "<<",
    "<>",
    "</>",
    "</",
    "</ p>",
    "</p class='x'>",
    "</p\n>",
    "</ſcript>",
    "</script >",
    "</SCRIPT>",
    ">",
    ">>",
    "3 < 4",
    "a<b",
    "<a",
    "<p",
    '<a href="',
    "<a href='x",
    "<a href=x",
    '<p class="x"',
    "<p/",
    "<br /",
    "<p\xa0class=x>",
    "<p\x0bclass=x>",
    "<p\u2028>",
    '<a x="1"y="2">',
    "<a x==1>",
    "<a x=>",
    "<a =x>",
    "<a x= >",
    "<a x='1>",
    '<a title="a>b">',
    '<a title="a<b">',
    "<a title='<p>'>",
    "<a href=x/>",
    "<a href=/x/y/>",
    "<img src=x />",
    "<a b=`x`>",
    '<a b=x"y>',
    "<a b=x'y>",
    "<a b=x<y>",
    "<a/b>",
    "<a / >",
    "<br / >",
    "<p//>",
    "<p/ >",
    "<p\t\n>",
    "<P CLASS=X>",
    "<a-b>",
    "<a_b>",
    "<p1>",
    "<p:q>",
    "<Ωmega>",
    "<aΩ>",
    "<a ß=1>",
    "<a x=ß>",
    # html.parser decodes attribute values too; int() refuses over 4,300 digits.
    "&#" + "1" * 5_000 + ";",
    '<a title="&#' + "1" * 5_000 + ';">',
    "<a title=&#" + "9" * 700 + ">",
)
CHAOS = "<>/&#;=\"' abpPrxX0159!?-\xa0\n\t"


def tag_name(rng: random.Random, tidy: bool) -> str:
    pool = rng.choice((BLOCK, INLINE) if tidy else (BLOCK, BLOCK, INLINE, INLINE, SKIP))
    name = rng.choice(pool)
    roll = rng.random()
    if roll < 0.12:
        return name.upper()
    if roll < 0.16:
        return name.capitalize()
    return name


def attribute(rng: random.Random) -> str:
    name = rng.choice(("href", "class", "id", "data-x", "xml:lang", "alt", "title", "style"))
    if rng.random() < 0.15:
        return name
    value = rng.choice(
        (
            "x",
            "/a/b",
            "https://e.example/a?b=1&amp;c=2",
            "a b",
            "a>b",
            "a<b",
            "&lt;p&gt;",
            "",
            "'",
            '"',
            "é",
            "x/",
        )
    )
    eq = rng.choice(("=", "=", "=", " = ", "\n=\t", "=="))
    quote = rng.choice(('"', '"', "'", ""))
    if quote and quote in value:
        value = value.replace(quote, "")
    return f"{name}{eq}{quote}{value}{quote}"


def start_tag(rng: random.Random, name: str) -> str:
    attrs = "".join(
        rng.choice((" ", " ", "  ", "\n", "\t")) + attribute(rng)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3)))
    )
    end = rng.choice((">", ">", ">", "/>", " />", " >", "\n>"))
    return f"<{name}{attrs}{end}"


def end_tag(rng: random.Random, name: str) -> str:
    space = rng.choice(("", "", "", " ", "\n"))
    return f"</{name}{space}>"


def text(rng: random.Random) -> str:
    return "".join(rng.choice(WORDS) + rng.choice(SPACES) for _ in range(rng.randint(1, 4)))


def fragment(rng: random.Random, tidy: bool) -> str:
    """A piece of a document; a tidy one stays (mostly) within what the fast path reads."""
    kind = rng.random() * (0.8 if tidy else 1.0)
    if kind < 0.30:
        return text(rng)
    if kind < 0.55:
        name = tag_name(rng, tidy)
        return f"{start_tag(rng, name)}{text(rng)}{end_tag(rng, name)}"
    if kind < 0.65:
        name = tag_name(rng, tidy)
        return rng.choice((start_tag, end_tag))(rng, name)
    if kind < 0.80:
        return rng.choice(ENTITIES)
    if kind < 0.93:
        return rng.choice(ODD)
    return "".join(rng.choice(CHAOS) for _ in range(rng.randint(1, 8)))


def document(rng: random.Random) -> str:
    tidy = rng.random() < 0.4
    doc = "".join(fragment(rng, tidy) for _ in range(rng.randint(1, 14)))
    roll = rng.random()
    if roll < 0.15:  # a publisher escaped its HTML once, or twice
        doc = html.escape(doc, quote=rng.random() < 0.5)
    elif roll < 0.20:
        doc = html.escape(html.escape(doc))
    elif roll < 0.25:  # mostly text, the shape most feed fields have
        doc = text(rng) * rng.randint(1, 5)
    return doc


def documents(seed: int, count: int):
    rng = random.Random(seed)
    return (document(rng) for _ in range(count))


# Embeds: what the in-order path (`_strip_in_order`) reads. The text after a skipped tag is
# hidden until its end tag; script and style hold raw text, where "<" is not markup, up to
# an end tag html.parser matches loosely ("</script >", "</SCRIPT>") or not ("</ſcript>").
EMBEDS = ("script", "style", "iframe", "svg", "noscript", "template")
RAW_TEXT = (
    "if (a<b && c>d) { x = '<p>'; }",
    'var s = "</p><b>";',
    "<!-- hidden -->",
    "a < b",
    "&amp; &lt;",
    "</scrip>",
    "</script",
    "</ſcript>",
    "</styles>",
    "<script>",
    "é → ✓",
    "",
)


def embed(rng: random.Random, depth: int = 0) -> str:
    name = rng.choice(EMBEDS)
    cased = name.upper() if rng.random() < 0.15 else name
    if name in ("script", "style"):
        inside = "".join(rng.choice(RAW_TEXT) for _ in range(rng.randint(0, 3)))
    else:  # markup, and sometimes another embed, inside
        inside = "".join(
            embed(rng, depth + 1) if depth < 2 and rng.random() < 0.2 else fragment(rng, True)
            for _ in range(rng.randint(0, 3))
        )
    roll = rng.random()
    if roll < 0.08:  # never closed
        close = ""
    elif roll < 0.16:  # closed twice: the second end tag has nothing to close
        close = end_tag(rng, cased) * 2
    elif roll < 0.22:
        close = rng.choice(("</ſcript>", "</script\n>", "</ script>", "</style\t>"))
    else:
        close = end_tag(rng, cased)
    return f"{start_tag(rng, cased)}{inside}{close}"


def embed_document(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 8)):
        roll = rng.random()
        if roll < 0.35:
            parts.append(embed(rng))
        elif roll < 0.45:  # a stray end tag of an embed
            parts.append(end_tag(rng, rng.choice(EMBEDS)))
        else:
            parts.append(fragment(rng, True))
    return "".join(parts)


def embed_documents(seed: int, count: int):
    rng = random.Random(seed)
    return (embed_document(rng) for _ in range(count))


# ---- The tests. ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_random_documents_clean_as_the_reference_does(seed):
    for value in documents(seed, DOCUMENTS_PER_SEED):
        check(value)


def test_the_generator_reaches_both_paths():
    """A generator whose documents all decline (or none do) would prove little."""
    values = list(documents(SEEDS[0], DOCUMENTS_PER_SEED))
    declined = [outcome(fast._strip_simple, value) == ("text", None) for value in values]
    tags_read = [not no and "<" in value for value, no in zip(values, declined, strict=True)]
    assert 0.2 < sum(declined) / len(values) < 0.8
    assert sum(tags_read) > len(values) / 10


@pytest.mark.parametrize("seed", SEEDS)
def test_documents_with_embeds_clean_as_the_reference_does(seed):
    for value in embed_documents(seed, DOCUMENTS_PER_SEED):
        check(value)


def test_the_embed_generator_reaches_the_in_order_path(monkeypatch):
    """Most embed documents must be answered in order, and some declined, or the test above
    proves little about `_strip_in_order`."""
    answers = []
    in_order = fast._strip_in_order

    def recording(value: str) -> str | None:
        answers.append(in_order(value))
        return answers[-1]

    monkeypatch.setattr(fast, "_strip_in_order", recording)
    for value in embed_documents(SEEDS[0], DOCUMENTS_PER_SEED):
        fast._strip_simple(value)
    answered = sum(answer is not None for answer in answers)
    assert len(answers) > DOCUMENTS_PER_SEED / 2
    assert 0.25 < answered / len(answers) < 0.95


def test_the_hand_written_cases_clean_as_the_reference_does():
    source = (HERE / "test_parse_and_normalise.py").read_text(encoding="utf-8")
    strings = [
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]
    assert "<p>One</p><p>Two</p>" in strings
    for value in strings:
        check(value)
    assert fast.clean_text(None) == reference_clean_text(None) == ""
    assert fast.clean_text("") == reference_clean_text("") == ""


def test_whitespace_is_folded_as_the_regex_did():
    """clean_text folds with str.split(); the reference with re's \\s. They agree only if
    both call the same characters whitespace: check every code point."""
    assert [c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace()] == re.findall(
        r"\s", "".join(map(chr, range(sys.maxunicode + 1)))
    )


def real_feed_fields() -> list[str]:
    fields = []
    for path in sorted(REAL_FEEDS.iterdir()):
        if path.name == "MANIFEST.tsv":
            continue
        body = path.read_bytes()
        if body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        fields += parsed_fields(path.name, body)
        fields += raw_fields(body)
    return fields


def parsed_fields(name: str, body: bytes) -> list[str]:
    """The fields as a parser hands them over (feedparser cleans some HTML on the way)."""
    if name.endswith(".json"):
        items = json.loads(body).get("items") or []
        keys = ("title", "summary", "content_html", "content_text")
        return [item[key] for item in items for key in keys if isinstance(item.get(key), str)]
    fields = []
    for entry in feedparser.parse(body).entries:
        for key in ("title", "summary", "description"):
            if isinstance(entry.get(key), str):
                fields.append(entry[key])
        fields += [content.get("value") or "" for content in entry.get("content") or []]
    return fields


_ELEMENT = re.compile(
    rb"<(title|description|summary|content|content:encoded)\b[^>]*>(.*?)</\1>", re.DOTALL
)
_ENCODING = re.compile(rb"""^[^>]*encoding=["']([-\w.:]+)["']""")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


def raw_fields(body: bytes) -> list[str]:
    """Element text cut from the document itself: markup as the publisher wrote it, as is,
    with CDATA sections opened, and with one layer of XML escaping undone."""
    declared = _ENCODING.search(body[:200])
    encoding = declared.group(1).decode() if declared else "utf-8"
    try:
        text = body.decode(encoding, errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    fields = []
    for match in _ELEMENT.finditer(text.encode("utf-8", errors="surrogatepass")):
        raw = match.group(2).decode("utf-8", errors="surrogatepass")
        opened = _CDATA.sub(lambda m: m.group(1), raw)
        fields += [raw, opened, html.unescape(raw) if opened == raw else opened]
    return fields


def test_real_feed_fields_clean_as_the_reference_does():
    if not REAL_FEEDS.exists():
        pytest.skip("needs ../shared/feeds/real (present in CI)")
    fields = real_feed_fields()
    assert len(fields) > 1_000
    for value in fields:
        check(value)
