"""Delivery channels: one module each, registered here by name.

To add a channel: write a module with a :class:`Channel` subclass, add it to
``CHANNEL_TYPES`` and construct it in :func:`build_channels`.
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

CHANNEL_TYPES: dict[str, type[Channel]] = {
    c.kind: c for c in (ConsoleChannel, SlackChannel, EmailChannel, WebhookChannel, AppriseChannel)
}


def validate_target(target: ChannelTarget, policy: AddressPolicy) -> None:
    """Raise ValueError (AddressRefused for forbidden addresses) when the target cannot be saved."""
    channel = CHANNEL_TYPES.get(target.kind)
    if channel is None:
        raise ValueError(
            f"unknown channel {target.kind!r}; known: {', '.join(sorted(CHANNEL_TYPES))}"
        )
    channel.validate_target(target, policy)


def build_channels(settings: AlerterSettings, poster: Poster) -> dict[str, Channel]:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return {
        "console": ConsoleChannel(),
        "slack": SlackChannel(poster),
        "webhook": WebhookChannel(poster),
        "apprise": AppriseChannel(poster.policy),
        "email": EmailChannel(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=password,
            timeout=settings.smtp_timeout_seconds,
        ),
    }


__all__ = ["CHANNEL_TYPES", "Channel", "DeliveryError", "build_channels", "validate_target"]
