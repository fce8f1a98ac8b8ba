"""What the HTTP channels (Slack, webhook) share: one aiohttp session whose resolver
refuses addresses the policy forbids (and whose sockets pass the egress guard as
every channel's do), URL targets, and one place that maps responses to retry decisions."""

import ipaddress
import socket
from email.utils import parsedate_to_datetime
from typing import ClassVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from newswatch.alerter.addresses import AddressPolicy, AddressRefused
from newswatch.alerter.channels.base import Channel, DeliveryError, mask_url
from newswatch.alerter.egress import guarded
from newswatch.shared.contracts import ChannelTarget
from newswatch.shared.contracts.base import utc_now

# 408 and 425 are "try later"; 429 is rate limiting; 5xx the receiver's own trouble.
_RETRYABLE = {408, 425, 429}


class GuardedResolver(AbstractResolver):
    """Connects only to addresses the policy allows, whatever a name resolves to today."""

    def __init__(self, policy: AddressPolicy) -> None:
        self._policy = policy
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed = [r for r in results if self._policy.is_allowed(r["host"])]
        if not allowed:
            raise AddressRefused(f"{host!r} resolves only to addresses the policy refuses")
        return allowed

    async def close(self) -> None:
        await self._inner.close()


def build_session(
    policy: AddressPolicy, *, timeout: float, connections: int, user_agent: str
) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(resolver=GuardedResolver(policy), limit=connections),
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers={"User-Agent": user_agent},
    )


class Poster:
    """POSTs to subscriber URLs: never follows redirects, never reaches a refused address."""

    def __init__(self, session: aiohttp.ClientSession, policy: AddressPolicy) -> None:
        self.session = session
        self.policy = policy

    async def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> None:
        host = urlsplit(url).hostname or ""
        if _is_address(host):  # aiohttp skips the resolver for literals: check them here
            try:
                self.policy.check_host(host)
            except AddressRefused as exc:
                raise DeliveryError(str(exc), retryable=False) from exc
        # The resolver above judges names; the socket guard judges the connection itself,
        # the same check every channel's connections pass (see newswatch.alerter.egress).
        with guarded(self.policy) as guard:
            try:
                async with self.session.post(
                    url, data=content, headers=headers, allow_redirects=False
                ) as response:
                    status = response.status
                    if status < 300:
                        return
                    text = (await response.content.read(200)).decode("utf-8", "replace")
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
            except AddressRefused as exc:
                raise DeliveryError(str(exc), retryable=False) from exc
            except TimeoutError as exc:
                raise DeliveryError("timed out", retryable=True) from exc
            except aiohttp.ClientError as exc:
                if isinstance(exc.__cause__, AddressRefused):
                    raise DeliveryError(str(exc.__cause__), retryable=False) from exc
                if guard.refused:
                    raise DeliveryError(guard.refused[0], retryable=False) from exc
                raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
        raise DeliveryError(
            f"HTTP {status}: {text}",
            retryable=status in _RETRYABLE or status >= 500,
            retry_after=retry_after,
            status_code=status,
        )


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_retry_after(value: str | None) -> float | None:
    """Seconds, or an HTTP date (RFC 9110 allows both)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - utc_now()).total_seconds())
    except (TypeError, ValueError):
        return None


class HttpChannel(Channel):
    """A channel whose target is an http(s) URL."""

    kind: ClassVar[str]

    def __init__(self, poster: Poster) -> None:
        self._poster = poster

    @classmethod
    def validate_target(cls, target: ChannelTarget, policy: AddressPolicy) -> None:
        policy.check_url(target.target)

    @classmethod
    def mask(cls, target: ChannelTarget) -> str:
        return mask_url(target.target)

    async def post_json(self, url: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        await self._poster.post(
            url, content=body, headers={"Content-Type": "application/json", **(headers or {})}
        )
