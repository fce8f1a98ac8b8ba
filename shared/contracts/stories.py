"""A story: one real-world event, however many outlets report it."""

from pydantic import Field

from newswatch.shared.contracts.base import Contract, UtcDatetime


class Story(Contract):
    """Published on ``{prefix}.stories.v1`` each time a report opens or joins a story."""

    id: str = Field(pattern=r"^[0-9a-f]{32}$", description="The first report's item id.")
    tags: list[str] = Field(description="Union of the reports' tags.")
    title: str = Field(description="The first report's title.")
    link: str | None = None
    countries: list[str] = Field(default_factory=list, description="ISO 3166-1 alpha-2.")
    places: list[str] = Field(default_factory=list, description="Named cities and regions.")
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    item_ids: list[str] = Field(description="Reports folded in, first first (the first 50).")
    sources: list[str] = Field(description="Outlets that reported it, first first (the first 50).")
    report_count: int = Field(ge=1, description="Reports folded in, all of them.")
    latest_item_id: str = Field(description="The report this message announces.")
