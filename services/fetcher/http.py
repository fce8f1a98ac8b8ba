"""Fetching a feed over HTTP: conditional GET, size cap, timeouts, errors by kind."""

import asyncio
import hashlib
from dataclasses import dataclass

import httpx

from newswatch.fetcher.settings import FetcherSettings


class FetchError(Exception):
    """A fetch failed; ``kind`` is what the counters and logs group it by."""

    def __init__(self, kind: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


@dataclass(slots=True, frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None  # a server without ETag still lets us skip an unchanged body


@dataclass(slots=True)
class FetchResult:
    url: str
    status: int
    body: bytes = b""
    content_type: str | None = None
    validators: Validators = Validators()
    moved_to: str | None = None  # set when every redirect on the way was permanent (301/308)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def build_client(settings: FetcherSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.read_timeout_seconds, connect=settings.connect_timeout_seconds
        ),
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        },
        # Idle connections kept for every fetch slot: reconnecting costs more CPU than the request.
        limits=httpx.Limits(
            max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency
        ),
    )


async def fetch_feed(
    client: httpx.AsyncClient,
    url: str,
    validators: Validators,
    max_bytes: int,
    total_timeout: float = 60.0,
) -> FetchResult:
    # Connect and read timeouts bound each wait; this bounds the whole fetch, which a
    # server sending one byte a second would otherwise stretch forever.
    try:
        async with asyncio.timeout(total_timeout):
            return await _fetch(client, url, validators, max_bytes)
    except TimeoutError as exc:
        raise FetchError("timeout", f"fetching {url} took longer than {total_timeout:g}s") from exc


async def _fetch(
    client: httpx.AsyncClient, url: str, validators: Validators, max_bytes: int
) -> FetchResult:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResult(url=str(response.url), status=304, validators=validators)
            if response.status_code >= 400:
                raise FetchError(
                    "http_status",
                    f"HTTP {response.status_code} from {url}",
                    retry_after=_retry_after(response),
                )
            body = await _read_capped(response, max_bytes)
            permanent = response.history and all(
                r.status_code in (301, 308) for r in response.history
            )
            return FetchResult(
                url=str(response.url),
                status=response.status_code,
                body=body,
                content_type=response.headers.get("content-type"),
                validators=Validators(
                    response.headers.get("etag"),
                    response.headers.get("last-modified"),
                    hashlib.sha256(body).hexdigest()[:32],
                ),
                moved_to=str(response.url) if permanent else None,
            )
    except FetchError:
        raise
    except httpx.TooManyRedirects as exc:
        raise FetchError("redirects", f"too many redirects from {url}") from exc
    except httpx.TimeoutException as exc:
        raise FetchError("timeout", f"timed out fetching {url}: {type(exc).__name__}") from exc
    except httpx.ConnectError as exc:
        text = str(exc)
        kind = (
            "tls"
            if "SSL" in text or "certificate" in text
            else "dns"
            if _is_dns(text)
            else "connect"
        )
        raise FetchError(kind, f"cannot connect to {url}: {exc}") from exc
    except httpx.DecodingError as exc:
        raise FetchError("decoding", f"bad content encoding from {url}: {exc}") from exc
    except httpx.HTTPError as exc:
        raise FetchError("network", f"{type(exc).__name__} fetching {url}: {exc}") from exc


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    # Counted after decompression, so a gzip bomb is cut off like a huge body.
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("too_large", f"body of {response.url} exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_dns(message: str) -> bool:
    return any(
        s in message
        for s in (
            "Name or service not known",
            "nodename nor servname",
            "Temporary failure in name resolution",
            "No address associated",
        )
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
