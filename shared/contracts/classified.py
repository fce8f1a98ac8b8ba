"""A classified item: the news item with its tags, their evidence and extracted facts."""

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from newswatch.shared.contracts.base import Contract, UtcDatetime, utc_now
from newswatch.shared.contracts.news import NewsItem


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Evidence(_Part):
    """A span of the item's text that made a tag fire."""

    field: Literal["title", "summary"]
    start: int = Field(ge=0, description="Character offset into the field, inclusive.")
    end: int = Field(ge=0, description="Character offset into the field, exclusive.")
    text: str = Field(description="The span itself, for readers who do not slice.")
    rule: str = Field(
        default="",
        description="Id of the rule that matched, as '<tag>/<rule>'; '<tag>/model' when the "
        "learned model tagged alone (the span is then the sentence that drove it).",
    )
    terms: list[str] = Field(
        default_factory=list,
        description="For the model's evidence: the words and word pairs that weighed most.",
    )


class TagHit(_Part):
    tag: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    confidence: float = Field(ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)


Qualifier = Literal["exact", "at_least", "more_than", "about", "up_to"]


class Place(_Part):
    name: str
    country_code: str | None = Field(default=None, description="ISO 3166-1 alpha-2.")
    kind: Literal["country", "city", "region"] = "country"


class Actor(_Part):
    name: str
    kind: Literal["state", "bloc", "force", "organisation", "person"] = "state"
    role: str | None = Field(
        default=None,
        description="attacker, target, summoning, summoned, approving, sanctioning, ...",
    )
    country_code: str | None = None


class Casualty(_Part):
    kind: Literal["killed", "injured"]
    count: int = Field(ge=0)
    qualifier: Qualifier = "exact"
    text: str = ""


class MoneyAmount(_Part):
    value: float = Field(ge=0)
    currency: str = Field(description="ISO 4217 code.")
    qualifier: Qualifier = "exact"
    text: str = ""


class Facts(_Part):
    places: list[Place] = Field(default_factory=list)
    actors: list[Actor] = Field(default_factory=list)
    casualties: list[Casualty] = Field(default_factory=list)
    money: list[MoneyAmount] = Field(default_factory=list)
    weapons: list[str] = Field(default_factory=list)
    event_date: date | None = None


class ClassifiedItem(Contract):
    """What the classifier publishes, on the combined topic and on each tag's topic."""

    item: NewsItem
    tags: list[TagHit] = Field(default_factory=list)
    facts: Facts = Field(default_factory=Facts)
    classifier_version: str
    classified_at: UtcDatetime = Field(default_factory=utc_now)

    @property
    def tag_names(self) -> list[str]:
        return [hit.tag for hit in self.tags]


__all__ = [
    "Actor",
    "Casualty",
    "ClassifiedItem",
    "Evidence",
    "Facts",
    "MoneyAmount",
    "Place",
    "TagHit",
]
