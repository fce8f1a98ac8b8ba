"""Delivery channels: one module each, listed once here.

To add a channel: write a module with a :class:`Channel` subclass that says how it is
built (``from_settings``), and add the class to ``CHANNELS``.
"""

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.channels.apprise import AppriseChannel
from newswatch.alerter.channels.base import Channel, DeliveryError
from newswatch.alerter.channels.console import ConsoleChannel
from newswatch.alerter.channels.email import EmailChannel
from newswatch.alerter.channels.http import Poster
from newswatch.alerter.channels.slack import SlackChannel
from newswatch.alerter.channels.webhook import WebhookChannel
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ChannelTarget

CHANNELS: tuple[type[Channel], ...] = (
    ConsoleChannel,
    SlackChannel,
    EmailChannel,
    WebhookChannel,
    AppriseChannel,
)
CHANNEL_TYPES: dict[str, type[Channel]] = {c.kind: c for c in CHANNELS}


def validate_target(target: ChannelTarget, policy: AddressPolicy) -> None:
    """Raise ValueError (AddressRefused for forbidden addresses) when the target cannot be saved."""
    channel = CHANNEL_TYPES.get(target.kind)
    if channel is None:
        raise ValueError(
            f"unknown channel {target.kind!r}; known: {', '.join(sorted(CHANNEL_TYPES))}"
        )
    channel.validate_target(target, policy)


def build_channels(settings: AlerterSettings, poster: Poster) -> dict[str, Channel]:
    return {c.kind: c.from_settings(settings, poster) for c in CHANNELS}


__all__ = [
    "CHANNELS",
    "CHANNEL_TYPES",
    "Channel",
    "DeliveryError",
    "build_channels",
    "validate_target",
]
