"""Every real-world feed in ../shared/feeds/real yields the entries its MANIFEST counts, as clean text."""

import csv
import gzip
import re
from datetime import UTC, datetime

import pytest

from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import canonical_url, identity_key, normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed
from tests.conftest import SHARED, shared_path

REAL = SHARED / "feeds" / "real"
# Without ../shared there is one placeholder case, which skips (or fails in CI) saying why.
ROWS = (
    list(csv.DictReader((REAL / "MANIFEST.tsv").open(encoding="utf-8"), delimiter="\t"))
    if REAL.exists()
    else [{"file": "(../shared/feeds/real is absent)", "items": "0"}]
)
# Markup a cleaner must remove. Escaped text such as "<integer>" in a code sample is content, and stays.
LEFTOVER_MARKUP = re.compile(
    r"</?(p|a|br|div|span|img|b|i|em|strong|ul|li|figure|iframe|script)\b[^>]*>|&(amp|lt|gt|quot|nbsp|#\d+);",
    re.I,
)


def body_of(name: str) -> bytes:
    body = (REAL / name).read_bytes()
    # Stored gzip-compressed as served; over HTTP the client decodes it (Content-Encoding).
    return gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_real_feed_yields_its_entries_as_clean_items(row):
    shared_path("feeds", "real", "MANIFEST.tsv")
    expected = int(row["items"])
    try:
        raw = parse_feed(body_of(row["file"]))
    except FeedParseError:
        assert expected == 0, f"{row['file']}: refused a feed with {expected} entries"
        return
    if row["file"].endswith(".gz"):
        expected = len(
            raw.entries
        )  # the manifest counts what feedparser saw in the compressed bytes
    assert len(raw.entries) == expected
    feed = FeedSpec(url=f"https://feeds.example/{row['file']}")
    items = normalise_feed(raw, feed, datetime.now(UTC))
    distinct = {
        identity_key(e, feed.id, canonical_url(e.link, raw.link or feed.url))
        for e in raw.entries
        if e.title.strip() or e.summary.strip() or e.link
    }
    assert len(items) == len(distinct), "entries repeated within the document are published once"
    for item in items:
        assert item.title, item
        assert not LEFTOVER_MARKUP.search(item.title + " " + item.summary), item.title
        assert item.published_at.tzinfo is not None
        assert item.link is None or item.link.startswith(("http://", "https://")), item.link
