"""The one interface every delivery channel implements.

A channel module declares its ``kind`` (the name subscriptions use), how it is
built from the alerter's settings (``from_settings``), checks a
target when a subscription is saved, masks secrets for logs, and sends a notice
(an :class:`Alert` about one story, or a :class:`Digest`). ``send`` returns on
success and raises :class:`DeliveryError` otherwise, saying whether a retry
could help and how long the receiver asked us to wait.
"""

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Self
from urllib.parse import urlsplit

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.alert import Notice
from newswatch.shared.contracts import ChannelTarget
from newswatch.shared.errors import NewswatchError

if TYPE_CHECKING:
    from newswatch.alerter.channels.http import Poster
    from newswatch.alerter.settings import AlerterSettings


class DeliveryError(NewswatchError):
    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.status_code = status_code


class Channel(ABC):
    kind: ClassVar[str]

    @classmethod
    def from_settings(cls, settings: "AlerterSettings", poster: "Poster") -> Self:
        """Build the channel for a running alerter: from its settings and the shared HTTP
        poster (``poster.policy`` is the address policy). Each channel says what it needs;
        this default suits a channel that needs only the address policy (Apprise)."""
        return cls(poster.policy)  # type: ignore[call-arg]

    @classmethod  # noqa: B027 - an optional hook: most channels accept any target
    def validate_target(cls, target: ChannelTarget, policy: AddressPolicy) -> None:
        """Raise ValueError when the target cannot work or is not allowed; called on save."""

    @classmethod
    def mask(cls, target: ChannelTarget) -> str:
        """The target as logs and delivery records may show it."""
        return target.target

    @abstractmethod
    async def send(self, notice: Notice, target: ChannelTarget) -> None: ...

    async def close(self) -> None:  # noqa: B027 - most channels hold nothing to close
        pass


def mask_url(url: str) -> str:
    """Keep scheme and host; webhook paths are often the secret (Slack's are)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…" if parts.netloc else "…"
