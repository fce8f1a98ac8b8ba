"""Any service Apprise supports (Teams, Telegram, Discord, PagerDuty, ntfy, ...), by Apprise URL.

The target is an Apprise URL such as ``tgram://bottoken/ChatID`` or
``ntfys://ntfy.example/topic``. Apprise reports success as a yes or no, so a
failure is worth a retry; the last attempt's failure is dead-lettered.

Every scheme passes the address policy, twice. On save, Apprise's own parser
(``Apprise.instantiate``) says which host the URL names, for every plugin whose
URL template has a host (ntfy, gotify, rocket, mmost, ncloud, matrix, apprise,
json/xml/form, mailto's SMTP server, ...); plugins with fixed hosts (Telegram,
Discord, ...) name none. On send, Apprise runs under the socket-level guard of
``newswatch.alerter.egress``, so whatever a plugin connects to (its host today,
a redirect, an SMTP server) is checked where the connection is made.
"""

import asyncio
from typing import ClassVar

import apprise

from newswatch.alerter.addresses import AddressPolicy, AddressRefused
from newswatch.alerter.alert import Notice, render_text
from newswatch.alerter.channels.base import Channel, DeliveryError
from newswatch.alerter.egress import guarded
from newswatch.shared.contracts import ChannelTarget


def _plugin(url: str) -> apprise.plugins.NotifyBase:
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise ValueError("not an Apprise URL that Apprise can use (see its URL docs per service)")
    return plugin


def named_hosts(plugin: apprise.plugins.NotifyBase) -> list[str]:
    """The hosts a parsed Apprise URL tells the plugin to connect to (none: its own service's)."""
    # The email plugin connects to its SMTP server (``?smtp=`` or derived from the
    # address), never to the host part of ``mailto://user@domain``.
    smtp_host = getattr(plugin, "smtp_host", None)
    if smtp_host:
        return [smtp_host]
    # Plugins whose URL template has a {host} token connect to it; in the others
    # (tgram://{bot_token}/...) the URL's host part is a credential, not a host.
    if "host" in plugin.template_tokens and plugin.host:
        return [plugin.host]
    return []


class AppriseChannel(Channel):
    kind: ClassVar[str] = "apprise"

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy

    @classmethod
    def validate_target(cls, target: ChannelTarget, policy: AddressPolicy) -> None:
        plugin = _plugin(target.target)
        for host in named_hosts(plugin):
            policy.check_host(host)

    @classmethod
    def mask(cls, target: ChannelTarget) -> str:
        # Scheme and the host the URL names, nothing else: Apprise's own privacy mode keeps
        # token ends, paths and topics (an ntfy topic is its password), all secrets here.
        scheme = target.target.partition("://")[0]
        try:
            hosts = named_hosts(_plugin(target.target))
        except ValueError:
            return "…"
        return f"{scheme}://{hosts[0]}/…" if hosts else f"{scheme}://…"

    async def send(self, notice: Notice, target: ChannelTarget) -> None:
        try:
            # The save-time check again (the URL may predate it, or its name now resolves
            # elsewhere): refused before Apprise even starts, with a plain reason.
            await asyncio.to_thread(self.validate_target, target, self._policy)
        except AddressRefused as exc:
            raise DeliveryError(str(exc), retryable=False) from exc
        title, _, body = render_text(notice).partition("\n")
        ok, refused = await asyncio.to_thread(self._notify, target.target, title, body)
        if refused:
            raise DeliveryError(f"refused by the address policy: {refused[0]}", retryable=False)
        if not ok:
            raise DeliveryError("Apprise could not notify (see the alerter log)", retryable=True)

    def _notify(self, url: str, title: str, body: str) -> tuple[bool, list[str]]:
        """Notify in this worker thread with every connection checked; (success, refusals)."""
        notifier = apprise.Apprise()
        notifier.add(url)
        with guarded(self._policy) as guard:
            ok = notifier.notify(
                body=body.strip() or title, title=title, body_format=apprise.NotifyFormat.TEXT
            )
        return bool(ok), guard.refused
