"""Fetching a feed over HTTP: conditional GET, size cap, timeouts, errors by kind."""

import asyncio
import hashlib
from dataclasses import dataclass

import aiohttp

from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.errors import FeedError


class FetchError(FeedError):
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


FeedClient = aiohttp.ClientSession


def build_client(settings: FetcherSettings) -> FeedClient:
    """The fetcher's HTTP client: aiohttp, light per request, which thousands of polls need.

    (The alerter keeps httpx: few requests, where its API is the better fit.)
    """
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(
            total=None,
            connect=settings.connect_timeout_seconds,
            sock_read=settings.read_timeout_seconds,
        ),
        connector=aiohttp.TCPConnector(
            limit=settings.concurrency, limit_per_host=0, ttl_dns_cache=300
        ),
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/feed+json, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        },
        auto_decompress=True,  # gzip, deflate, and br with the brotli package installed
        max_field_size=16384,
        raise_for_status=False,
    )


async def fetch_feed(
    client: FeedClient,
    url: str,
    validators: Validators,
    max_bytes: int,
    total_timeout: float = 60.0,
    max_redirects: int = 5,
) -> FetchResult:
    # Connect and read timeouts bound each wait; this bounds the whole fetch, which a
    # server sending one byte a second would otherwise stretch forever.
    try:
        async with asyncio.timeout(total_timeout):
            return await _fetch(client, url, validators, max_bytes, max_redirects)
    except TimeoutError as exc:
        raise FetchError("timeout", f"fetching {url} took longer than {total_timeout:g}s") from exc


async def _fetch(
    client: FeedClient, url: str, validators: Validators, max_bytes: int, max_redirects: int
) -> FetchResult:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    try:
        async with client.get(url, headers=headers, max_redirects=max_redirects) as response:
            if response.status == 304:
                return FetchResult(url=str(response.url), status=304, validators=validators)
            if response.status >= 400:
                raise FetchError(
                    "http_status",
                    f"HTTP {response.status} from {url}",
                    retry_after=_retry_after(response.headers.get("retry-after")),
                )
            body = await _read_capped(response, max_bytes)
            permanent = bool(response.history) and all(
                r.status in (301, 308) for r in response.history
            )
            return FetchResult(
                url=str(response.url),
                status=response.status,
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
    except aiohttp.TooManyRedirects as exc:
        raise FetchError("redirects", f"too many redirects from {url}") from exc
    except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError) as exc:
        raise FetchError("tls", f"TLS failure with {url}: {exc}") from exc
    except aiohttp.ClientConnectorDNSError as exc:
        raise FetchError("dns", f"cannot resolve {url}: {exc}") from exc
    except aiohttp.ClientConnectorError as exc:
        kind = "tls" if "SSL" in str(exc) else "connect"
        raise FetchError(kind, f"cannot connect to {url}: {exc}") from exc
    except (aiohttp.ServerTimeoutError, TimeoutError) as exc:
        raise FetchError("timeout", f"timed out fetching {url}: {type(exc).__name__}") from exc
    except aiohttp.ClientPayloadError as exc:
        kind = (
            "decoding"
            if "compress" in str(exc).lower() or "decod" in str(exc).lower()
            else "network"
        )
        raise FetchError(kind, f"broken body from {url}: {exc}") from exc
    except aiohttp.ClientError as exc:
        text = str(exc)
        kind = "tls" if "SSL" in text or "ssl" in text else "network"
        raise FetchError(kind, f"{type(exc).__name__} fetching {url}: {exc}") from exc


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    # Counted after decompression, so a gzip bomb is cut off like a huge body.
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(65536):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("too_large", f"body of {response.url} exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value or ""))
    except ValueError:
        return None
