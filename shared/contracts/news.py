"""A news item as the fetcher publishes it: one feed entry, normalised."""

from pydantic import Field

from newswatch.shared.contracts.base import Contract, UtcDatetime


class NewsItem(Contract):
    """One entry of one feed, cleaned into plain text with a stable identity."""

    id: str = Field(
        description=(
            "Stable id: a hash of the entry's guid when it is a global URL or URN, "
            "else of its canonical link, else of the feed and guid. The same story "
            "keeps its id when the entry is edited."
        ),
        pattern=r"^[0-9a-f]{32}$",
    )
    revision: int = Field(
        default=1,
        ge=1,
        description="1 for the first publication; higher when title or summary changed later.",
    )
    feed_id: str = Field(description="Id of the configured feed the entry came from.")
    feed_url: str = Field(description="URL the feed was fetched from.")
    source: str = Field(description="Human name of the outlet (configured, else the feed title).")
    title: str = Field(
        description="Plain text: HTML stripped, entities decoded, whitespace folded."
    )
    summary: str = Field(default="", description="Plain text summary or description; may be empty.")
    link: str | None = Field(
        default=None, description="Canonical absolute link, tracking parameters removed."
    )
    guid: str | None = Field(default=None, description="The entry's guid or id as published.")
    published_at: UtcDatetime = Field(
        description="Publication time in UTC; the fetch time when the feed gives none."
    )
    published_at_estimated: bool = Field(
        default=False, description="True when the feed gave no usable date."
    )
    fetched_at: UtcDatetime = Field(description="When the fetcher read the entry, UTC.")
    language: str | None = Field(
        default=None,
        description="ISO 639-1 code: from the feed when it says, else detected by the classifier.",
    )
    content_hash: str = Field(
        default="", description="Hash of title and summary; changes when the entry is corrected."
    )
