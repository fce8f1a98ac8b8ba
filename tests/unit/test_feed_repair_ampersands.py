"""A bare '&' escaped before parsing: the items feedparser's loose reading gives, faster.

``repair.without_bare_ampersands`` escapes each '&' that starts no reference, so that a feed
malformed only by those is read strictly (by the fast path, or by feedparser's strict
parser) instead of by feedparser's loose parser. The loose reading of the original is the
reference: for real feeds and for random documents with bare '&' in text and attributes,
``parse_feed`` (with the repair) must publish exactly the items ``parse_xml_feed`` (loose)
publishes. Where the two readings would differ, the repair must not happen.
"""

import functools
import gzip
import random
import re
from datetime import UTC, datetime

import pytest

from newswatch.fetcher.entries import RawFeed
from newswatch.fetcher.fastparse import parse_simple_feed
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed, parse_xml_feed
from newswatch.fetcher.repair import without_bare_ampersands
from tests.conftest import SHARED, shared_path
from tests.unit.test_fast_parse_differential import FeedWriter

REAL = SHARED / "feeds" / "real"
REAL_FILES = (
    sorted(p.name for p in REAL.iterdir() if p.suffix != ".json" and p.name != "MANIFEST.tsv")
    if REAL.exists()
    else ["(absent)"]
)
SPEC = FeedSpec(url="https://feeds.example/ampersands")
NOW = datetime(2025, 9, 2, tzinfo=UTC)
REPAIRED = "bare '&' not starting an entity (escaped as &amp;)"
SEEDS = (11, 12, 13)
DOCUMENTS_PER_SEED = 300
REFERENCE = re.compile(rb"&(?:[A-Za-z_][A-Za-z0-9._-]*|#[0-9]+|#x[0-9A-Fa-f]+);")
# What a reference becomes: a bare '&' followed by a space, a digit, another '&', a name
# (which the loose parser reads as a reference in text), '#', or the end of the text.
BARE = (b"& ", b"&1", b"&&", b"&b=2", b"&#", b"&", b"&_x")
# Query strings for URLs in attributes, as in media:content and enclosure urls.
QUERIES = (b"?a=1&b=2", b"?w=1&quality=85&auto=format&fit=max&s=x", b"?a&", b"?a=1&#x", b"?1&2")


def normalised(raw: RawFeed) -> list[dict[str, object]]:
    return [item.model_dump() for item in normalise_feed(raw, SPEC, NOW)]


def read_both_ways(body: bytes) -> tuple[object, object]:
    """What parse_feed (with the repair) and feedparser's loose reading publish."""
    results = []
    for parse in (parse_feed, parse_xml_feed):
        try:
            results.append(normalised(parse(body)))
        except FeedParseError:
            results.append("refused")
    return results[0], results[1]


def with_bare_ampersands(body: bytes, rng: random.Random) -> bytes:
    """The document with its references turned into bare '&' (in text and attributes),
    and bare '&' added to the query strings of URLs in attributes."""
    body = REFERENCE.sub(lambda _: rng.choice(BARE), body)
    return re.sub(
        rb'(url|href|src)="(https?://[^"?]*)"',
        lambda m: m.group(1) + b'="' + m.group(2) + rng.choice(QUERIES) + b'"',
        body,
    )


@functools.cache
def documents(seed: int) -> tuple[bytes, ...]:
    writer, rng = FeedWriter(seed), random.Random(seed)
    return tuple(with_bare_ampersands(writer.document(), rng) for _ in range(DOCUMENTS_PER_SEED))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_documents_with_bare_ampersands_read_as_the_loose_parser_reads_them(seed):
    failures = []
    for number, body in enumerate(documents(seed)):
        repaired, loose = read_both_ways(body)
        if repaired != loose:
            failures.append((number, body, repaired, loose))
    if failures:
        number, body, repaired, loose = failures[0]
        pytest.fail(
            f"seed {seed}: {len(failures)} documents read differently; the first, {number}:\n"
            f"repaired: {repaired!r}\nloose: {loose!r}\n{body!r}",
            pytrace=False,
        )


def test_many_random_documents_are_repaired_and_many_of_those_take_the_fast_path():
    """Otherwise the comparison above would prove nothing about the repair."""
    bodies = [body for seed in SEEDS for body in documents(seed)]
    repaired = [fixed for body in bodies if (fixed := without_bare_ampersands(body))[1]]
    fast = [body for body, _ in repaired if parse_simple_feed(body) is not None]
    assert len(repaired) >= len(bodies) / 10, f"only {len(repaired)} of {len(bodies)} repaired"
    assert len(fast) >= len(repaired) / 2, f"only {len(fast)} of {len(repaired)} on the fast path"


@pytest.mark.parametrize("name", REAL_FILES)
def test_real_feeds_that_are_repaired_keep_the_loose_readings_items(name):
    body = (shared_path("feeds", "real") / name).read_bytes()
    body = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    if without_bare_ampersands(body)[1] is None:
        return  # nothing repaired: parse_feed reads it as it did before
    repaired, loose = read_both_ways(body)
    assert repaired == loose
    assert parse_feed(body).recovered_error == REPAIRED


def test_the_guardian_feed_is_repaired_and_read_by_the_fast_path():
    body = (shared_path("feeds", "real") / "guardian_world_2022.xml").read_bytes()
    fixed, note = without_bare_ampersands(body)
    assert note == REPAIRED
    assert parse_simple_feed(fixed) is not None
    assert len(parse_feed(body).entries) == 54


def _rss(item: bytes, declaration: bytes = b"") -> bytes:
    return (
        declaration + b'<rss version="2.0"><channel><title>T</title><item><title>A</title>'
        b'<enclosure url="https://m.example/a.mp3?a=1&b=2" type="audio/mpeg"/>'
        + item
        + b"</item></channel></rss>"
    )


def test_a_bare_ampersand_in_an_attribute_is_escaped_and_reported():
    body = _rss(b"<description>Q & A, 1&2 &&</description>")
    fixed, note = without_bare_ampersands(body)
    assert note == REPAIRED
    assert fixed == _rss(b"<description>Q &amp; A, 1&amp;2 &amp;&amp;</description>").replace(
        b"?a=1&b=2", b"?a=1&amp;b=2"
    )
    raw = parse_feed(body)
    assert raw.recovered_error == REPAIRED  # still counted and logged as malformed
    assert [e.summary for e in raw.entries] == ["Q & A, 1&2 &&"]


def test_cdata_comments_and_processing_instructions_are_left_as_they_are():
    item = b"<description><![CDATA[a & b &c]]> & <!-- x & y --><?pi a & b?></description>"
    fixed, note = without_bare_ampersands(_rss(item))
    assert note == REPAIRED
    assert b"<![CDATA[a & b &c]]> &amp; <!-- x & y --><?pi a & b?>" in fixed
    # Bare '&' only inside CDATA: well-formed already, nothing to repair.
    assert without_bare_ampersands(b"<rss><![CDATA[&]]></rss>") == (
        b"<rss><![CDATA[&]]></rss>",
        None,
    )


@pytest.mark.parametrize(
    "reference", [b"&amp;", b"&#38;", b"&#x26;", b"&nbsp;", b"&lt;", b"&#233;"]
)
def test_a_document_with_any_reference_is_not_repaired(reference):
    # The loose parser keeps some references as written ('&amp;' in a guid) and spells
    # others its own way: with a reference anywhere, its reading may not be the strict one.
    body = _rss(b"<guid>https://g.example/?a=1" + reference + b"b=2</guid>")
    assert without_bare_ampersands(body) == (body, None)
    assert read_both_ways(body)[0] == read_both_ways(body)[1]


@pytest.mark.parametrize(
    "item",
    [
        b"<description>?a=1&b=2</description>",  # '&name' in text: the loose parser's '&b;'
        b"<link>https://l.example/?a=1&b=2</link>",
        b'<atom:link xmlns:atom="http://www.w3.org/2005/Atom" href="https://x/?a&#12"/>',
        b'<description><div xmlns="http://www.w3.org/1999/xhtml">x</div></description>',
    ],
)
def test_shapes_the_loose_parser_reads_otherwise_are_not_repaired(item):
    body = _rss(item)
    assert without_bare_ampersands(body) == (body, None)


@pytest.mark.parametrize(
    "body",
    [
        # UTF-16, with and without a byte order mark, and declared.
        _rss(b"<description>Q & A</description>").decode().encode("utf-16"),
        _rss(b"<description>Q & A</description>").decode().encode("utf-16-le"),
        _rss(b"", b'<?xml version="1.0" encoding="UTF-16"?>'),
        _rss(b"", b'<?xml version="1.0" encoding="shift_jis"?>'),
        # Malformed for another reason too: an unclosed element.
        _rss(b"<description>Q & A"),
        # Well-formed already.
        _rss(b"").replace(b"&b=2", b"&amp;b=2"),
        # A DOCTYPE may declare entities: feedparser rewrites those.
        b'<!DOCTYPE rss [<!ENTITY e "x">]>' + _rss(b""),
    ],
)
def test_other_documents_are_handed_on_untouched(body):
    assert without_bare_ampersands(body) == (body, None)


def test_an_http_charset_that_is_not_ascii_compatible_prevents_the_repair():
    body = _rss(b"")
    assert without_bare_ampersands(body, "text/xml; charset=utf-16")[1] is None
    assert without_bare_ampersands(body, "text/xml; charset=ISO-8859-1")[1] == REPAIRED
    assert without_bare_ampersands(body, "text/xml; charset=windows-1252")[1] == REPAIRED


def test_both_repairs_are_reported_together():
    body = b"\n\n" + _rss(b"", b'<?xml version="1.0" encoding="utf-8"?>')
    assert parse_feed(body).recovered_error == (
        f"blank lines before the XML declaration (removed); {REPAIRED}"
    )
