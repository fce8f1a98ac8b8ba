"""The parser-neutral shape of a feed entry, before normalisation.

Every parser (feedparser, the JSON Feed reader, faster paths later) produces
``RawEntry`` values, so normalisation and identity are written once.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Reader = Literal["fast", "feedparser", "json"]


@dataclass(slots=True)
class RawEntry:
    title: str = ""
    summary: str = ""  # may hold HTML
    link: str | None = None
    guid: str | None = None
    published: datetime | None = None  # timezone-aware when known


@dataclass(slots=True)
class RawFeed:
    title: str = ""
    link: str | None = None
    language: str | None = None
    entries: list[RawEntry] = field(default_factory=list)
    # Set when the document was malformed; entries recovered before the fault are kept.
    recovered_error: str | None = None
    # Which reader read it: "fast" (fastparse.py), "feedparser" or "json". Counted for each
    # changed document, so an operator sees how many feeds pay for feedparser; the benchmark
    # groups by it.
    reader: Reader = "feedparser"
