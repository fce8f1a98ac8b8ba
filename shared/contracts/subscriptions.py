"""Who wants which alerts, and where they go."""

from pydantic import BaseModel, ConfigDict, Field

from newswatch.shared.contracts.base import Contract, UtcDatetime, utc_now


class ChannelTarget(BaseModel):
    """One destination of a subscription: a channel kind and its address.

    ``target`` is the webhook URL for ``slack`` and ``webhook``, the recipient
    address for ``email``, and anything (conventionally ``-``) for ``console``.
    """

    model_config = ConfigDict(extra="ignore")

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Channel plugin name.")
    target: str = Field(default="-", min_length=1)
    options: dict[str, str] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """Identity of the destination, so one alert reaches it once."""
        return f"{self.kind}:{self.target}"


class Subscription(Contract):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = ""
    team: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    tags: list[str] = Field(
        default_factory=list, description="Alert when the item has any of these tags."
    )
    min_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    channels: list[ChannelTarget] = Field(min_length=1)
    enabled: bool = True
    created_at: UtcDatetime = Field(default_factory=utc_now)
