"""Channel secrets are write-only: shown masked, and a mask sent back means "unchanged".

What a subscription shows (API responses, ``subscriptions show``, the console) carries,
for every channel, the target as its channel masks it for logs (``Channel.mask``:
Slack and webhook URLs keep scheme and host, Apprise URLs their scheme and the host
they name) and ``***`` for secret options (the webhook's HMAC ``secret``). A client
that read a subscription and sends it back unchanged must not destroy the secrets it
never saw, so :func:`unmask` puts the stored values back for masked ones.
"""

from newswatch.alerter.channels import CHANNEL_TYPES
from newswatch.shared.contracts import ChannelTarget, Subscription

SECRET_MASK = "***"
MASK_MARK = "…"  # every masked target ends with it (see Channel.mask)
_SECRET_OPTION_WORDS = ("secret", "token", "password", "key")


def secret_option(name: str) -> bool:
    return any(word in name.lower() for word in _SECRET_OPTION_WORDS)


def shown_target(channel: ChannelTarget) -> str:
    kind = CHANNEL_TYPES.get(channel.kind)
    return kind.mask(channel) if kind else MASK_MARK


def masked(subscription: Subscription) -> Subscription:
    """The subscription as the API, the CLI and the console show it."""
    shown = subscription.model_copy(deep=True)
    for channel in shown.channels:
        channel.target = shown_target(channel)
        channel.options = {
            k: SECRET_MASK if secret_option(k) else v for k, v in channel.options.items()
        }
    return shown


class MaskedValueError(ValueError):
    """A masked value sent back for which no stored value exists; ``location`` names it."""

    def __init__(self, message: str, location: list[str | int]) -> None:
        super().__init__(message)
        self.location = location


def _stored(channel: ChannelTarget, old: list[ChannelTarget], n: int) -> ChannelTarget | None:
    """The stored channel that ``channel`` (maybe masked) stands for: the one at the same
    position when it matches (two Slack hooks of one workspace mask alike), else the first
    that matches."""
    matches = [
        c for c in old if c.kind == channel.kind and channel.target in (c.target, shown_target(c))
    ]
    if n < len(old) and old[n] in matches:
        return old[n]
    return matches[0] if matches else None


def unmask(new: Subscription, old: Subscription | None) -> None:
    """Replace masked targets and options in ``new`` by the stored ones from ``old``;
    raise MaskedValueError for a mask with nothing stored behind it."""
    old_channels = list(old.channels) if old else []
    for n, channel in enumerate(new.channels):
        stored = _stored(channel, old_channels, n)
        if channel.target.endswith(MASK_MARK):
            if stored is None:
                raise MaskedValueError(
                    f"{channel.kind} target {channel.target!r} is masked and matches no stored "
                    "channel: give the full target",
                    ["channels", n, "target"],
                )
            channel.target = stored.target
        for key, value in channel.options.items():
            if value != SECRET_MASK:
                continue
            kept = stored.options.get(key) if stored else None
            if kept is None:
                raise MaskedValueError(
                    f"no stored {key} to keep for {channel.kind} channel",
                    ["channels", n, "options", key],
                )
            channel.options[key] = kept
