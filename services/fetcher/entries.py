"""The parser-neutral shape of a feed entry, before normalisation.

Every parser (feedparser, the JSON Feed reader, faster paths later) produces
``RawEntry`` values, so normalisation and identity are written once.
"""

from dataclasses import dataclass, field
from datetime import datetime


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
