"""Any service Apprise supports (Teams, Telegram, Discord, PagerDuty, ntfy, ...), by Apprise URL.

The target is an Apprise URL such as ``tgram://bottoken/ChatID`` or
``json://hooks.example/path``. Apprise reports success as a yes or no, so a
failure is always worth a retry; the last attempt's failure is dead-lettered.
URLs of the generic HTTP kinds (json, xml, form) pass the address policy like
any webhook, when saved and again before each send (Apprise connects with its own
HTTP stack, so the check cannot sit in the connection as it does for webhooks);
the named services' hosts are their own public APIs.
"""

import asyncio
from typing import ClassVar

import apprise

from newswatch.alerter.addresses import AddressPolicy, AddressRefused
from newswatch.alerter.alert import Notice, render_text
from newswatch.alerter.channels.base import Channel, DeliveryError
from newswatch.shared.contracts import ChannelTarget

_HTTP_SCHEMES = {"json", "jsons", "xml", "xmls", "form", "forms"}


def _plugin(url: str) -> apprise.plugins.NotifyBase:
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise ValueError("not an Apprise URL that Apprise can use (see its URL docs per service)")
    return plugin


class AppriseChannel(Channel):
    kind: ClassVar[str] = "apprise"

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    @classmethod
    def validate_target(cls, target: ChannelTarget, policy: AddressPolicy) -> None:
        plugin = _plugin(target.target)
        scheme = target.target.partition("://")[0].lower()
        if scheme in _HTTP_SCHEMES and plugin.host:
            policy.check_host(plugin.host)

    @classmethod
    def mask(cls, target: ChannelTarget) -> str:
        try:
            return _plugin(target.target).url(privacy=True).partition("?")[0]
        except ValueError:
            return "…"

    async def send(self, notice: Notice, target: ChannelTarget) -> None:
        try:
            await asyncio.to_thread(self.validate_target, target, self._policy)
        except AddressRefused as exc:
            raise DeliveryError(str(exc), retryable=False) from exc
        notifier = apprise.Apprise()
        notifier.add(target.target)
        title, _, body = render_text(notice).partition("\n")
        ok = await notifier.async_notify(
            body=body.strip() or title, title=title, body_format=apprise.NotifyFormat.TEXT
        )
        if not ok:
            raise DeliveryError("Apprise could not notify (see the alerter log)", retryable=True)
