"""What the HTTP channels (Slack, webhook) share: a client, URL targets, and one place
that maps responses to retry decisions."""

from typing import ClassVar

import httpx

from newswatch.alerter.channels.base import Channel, DeliveryError, mask_url, validate_http_url
from newswatch.shared.contracts import ChannelTarget

# 408 and 425 are "try later"; 429 is rate limiting; 5xx the receiver's own trouble.
_RETRYABLE = {408, 425, 429}


async def post(
    client: httpx.AsyncClient, url: str, *, content: bytes, headers: dict[str, str]
) -> None:
    try:
        response = await client.post(url, content=content, headers=headers)
    except httpx.TimeoutException as exc:
        raise DeliveryError(f"timed out: {type(exc).__name__}", retryable=True) from exc
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}", retryable=True) from exc
    status = response.status_code
    if status < 300:
        return
    retryable = status in _RETRYABLE or status >= 500
    raise DeliveryError(
        f"HTTP {status}: {response.text[:200]}",
        retryable=retryable,
        retry_after=_retry_after(response.headers.get("retry-after")),
        status_code=status,
    )


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class HttpChannel(Channel):
    """A channel whose target is an http(s) URL, posted to with a shared client."""

    kind: ClassVar[str]

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    @classmethod
    def validate_target(cls, target: ChannelTarget) -> None:
        validate_http_url(target)

    @classmethod
    def mask(cls, target: ChannelTarget) -> str:
        return mask_url(target.target)
