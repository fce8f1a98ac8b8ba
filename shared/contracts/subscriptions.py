"""Who wants which alerts, filtered how, delivered when, and where to."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from newswatch.shared.contracts.base import Contract, UtcDatetime, utc_now

TEAM_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"


class ChannelTarget(BaseModel):
    """One destination of a subscription: a channel kind and its address.

    ``target`` is the webhook URL for ``slack`` and ``webhook``, the recipient
    address for ``email``, an Apprise URL for ``apprise``, and anything
    (conventionally ``-``) for ``console``.
    """

    model_config = ConfigDict(extra="ignore")

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Channel plugin name.")
    target: str = Field(default="-", min_length=1, max_length=2000)
    options: dict[str, str] = Field(
        default_factory=dict, description="Per-channel options, e.g. the webhook's HMAC 'secret'."
    )

    @property
    def key(self) -> str:
        """Identity of the destination, so one alert reaches it once."""
        return f"{self.kind}:{self.target}"


class DeliveryMode(StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class RateLimit(BaseModel):
    """At most ``max_alerts`` immediate alerts per ``per_minutes``; the rest go to a digest."""

    model_config = ConfigDict(extra="ignore")

    max_alerts: int = Field(ge=1, le=10_000)
    per_minutes: int = Field(default=60, ge=1, le=1440)


def subscription_key(team: str, subscription_id: str) -> str:
    """Globally unique: ids are unique within a team only."""
    return f"{team}/{subscription_id}"


def _lower_unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v.strip().lower() for v in values if v.strip()))


class Subscription(Contract):
    """A team's standing request for alerts. Every filter given must pass; empty ones pass all."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Unique within the team.")
    name: str = Field(default="", max_length=200)
    team: str = Field(default="default", pattern=TEAM_PATTERN)
    tags: list[str] = Field(
        default_factory=list, description="Alert when the item has ANY of these tags."
    )
    all_tags: list[str] = Field(
        default_factory=list, description="...and, when given, ALL of these tags."
    )
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    keywords: list[str] = Field(
        default_factory=list,
        description="At least one must occur in title or summary (whole words, any case).",
    )
    exclude_keywords: list[str] = Field(
        default_factory=list, description="None may occur in title or summary."
    )
    countries: list[str] = Field(
        default_factory=list,
        description="ISO 3166-1 alpha-2 codes; the item must name a place in one of them.",
    )
    sources: list[str] = Field(
        default_factory=list, description="Outlet names or feed ids (any case)."
    )
    languages: list[str] = Field(default_factory=list, description="ISO 639-1 codes.")
    mode: DeliveryMode = DeliveryMode.IMMEDIATE
    digest_minutes: float = Field(
        default=60, gt=0, le=1440, description="Digest period in mode 'digest'."
    )
    rate_limit: RateLimit | None = None
    followups: bool = Field(
        default=True,
        description="Send later reports of an alerted story as an 'also reported by' follow-up.",
    )
    retry_for_hours: float | None = Field(
        default=None,
        gt=0,
        le=24 * 14,
        description="How long a failing delivery is retried before it counts as failed; unset: "
        "the alerter's NEWSWATCH_ALERTER_RETRY_FOR_HOURS (24).",
    )
    channels: list[ChannelTarget] = Field(min_length=1, max_length=20)
    enabled: bool = True
    created_at: UtcDatetime = Field(default_factory=utc_now)
    updated_at: UtcDatetime = Field(default_factory=utc_now)

    @field_validator("tags", "all_tags", "keywords", "exclude_keywords", "sources", "languages")
    @classmethod
    def _normalise_words(cls, values: list[str]) -> list[str]:
        return _lower_unique(values)

    @field_validator("countries")
    @classmethod
    def _normalise_countries(cls, values: list[str]) -> list[str]:
        codes = [v.strip().upper() for v in values if v.strip()]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise ValueError(f"country codes must be ISO 3166-1 alpha-2, got {bad}")
        return list(dict.fromkeys(codes))

    @model_validator(mode="after")
    def _wants_something(self) -> "Subscription":
        if not self.tags and not self.all_tags:
            raise ValueError("a subscription names at least one tag (tags or all_tags)")
        return self

    @property
    def key(self) -> str:
        return subscription_key(self.team, self.id)
