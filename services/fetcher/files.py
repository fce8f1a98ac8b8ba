"""Feed documents on disk, read into items as the fetcher reads them off the network.

For the benchmark, the tests and ``newswatch eval``'s labelled real feeds: each file is one
feed, served as it was saved (gzip-compressed files decompressed, as HTTP would), parsed and
normalised by the fetcher's own code. A file's items get ids from its name
(``https://feeds.invalid/<name>`` as the feed's URL), so labels can name them by id.
"""

import gzip
from datetime import UTC, datetime
from pathlib import Path

from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed
from newswatch.shared.contracts import NewsItem

# Any fixed time: an entry without a date is stamped with it, nothing else reads it.
READ_AT = datetime(2025, 9, 2, tzinfo=UTC)


def feed_documents(folder: Path) -> list[tuple[str, bytes]]:
    """(file name, document) of each feed file in ``folder``, sorted by name; none when the
    folder is absent. MANIFEST.tsv and other .tsv files are not feeds."""
    if not folder.is_dir():
        return []
    documents = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".tsv" or not path.is_file():
            continue
        body = path.read_bytes()
        documents.append((path.name, gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body))
    return documents


def file_items(name: str, document: bytes) -> list[NewsItem]:
    """The items the fetcher publishes for this document; FeedParseError when it refuses it."""
    feed = FeedSpec(url=f"https://feeds.invalid/{name}")
    return normalise_feed(parse_feed(document), feed, READ_AT)


def item_texts(folder: Path) -> dict[tuple[str, str], tuple[str, str, str | None]]:
    """(file name, item id) -> (title, summary, language) of every item in ``folder``: what
    labels that name items by id are joined with (``evaluation.read_feed_labels``)."""
    return {
        (name, item.id): (item.title, item.summary, item.language)
        for name, items in folder_items(folder).items()
        for item in items
    }


def folder_items(folder: Path) -> dict[str, list[NewsItem]]:
    """Each readable feed file's items, by file name (files the fetcher refuses left out)."""
    found = {}
    for name, document in feed_documents(folder):
        try:
            found[name] = file_items(name, document)
        except FeedParseError:
            continue
    return found
