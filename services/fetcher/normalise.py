"""RawEntry -> NewsItem: clean text, canonical links, UTC dates and a stable id."""

import hashlib
import re
from datetime import UTC, datetime
from functools import cached_property
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from newswatch.fetcher.entries import RawEntry, RawFeed
from newswatch.fetcher.feeds import FeedSpec
from newswatch.shared.contracts import NewsItem
from newswatch.shared.text import clean_text

# Query parameters that only track the reader; dropping them lets the same
# article reached through different campaigns keep one identity.
_TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|igshid|"
    r"yclid|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|ref_src|cmpid|at_medium|at_campaign|"
    r"ito|ns_mchannel|ns_source|ns_campaign|ns_linkname|ns_fee|ocid|smid|partner)$",
    re.IGNORECASE,
)
_GLOBAL_GUID = re.compile(r"^(https?://|urn:|tag:)", re.IGNORECASE)
_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_].*)?$")


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """Absolute URL with tracking parameters and fragment removed, host lower-cased."""
    if not url:
        return None
    url = url.strip()
    if base:
        urlsplit(base)  # a base that is not a URL raises ValueError here, as urljoin does
        parts = urlsplit(url)
        if not _joins_to_itself(parts):
            url = urljoin(base, url)
            parts = urlsplit(url)
    else:
        parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return url or None
    # Most links have no query: parse_qsl and urlencode would only turn "" into "".
    query = parts.query and urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not _TRACKING_PARAMS.match(k)
        ]
    )
    netloc = parts.netloc.lower()
    if netloc.endswith(":80") and parts.scheme == "http":
        netloc = netloc[:-3]
    elif netloc.endswith(":443") and parts.scheme == "https":
        netloc = netloc[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def _joins_to_itself(parts: SplitResult) -> bool:
    """Whether urljoin(base, url) gives back the parts urlsplit found in url, whatever the
    base: true of an http(s) URL with a host, which almost every link is, and urljoin is
    half of canonical_url's time. (urljoin then returns it unchanged, when the base's
    scheme differs, or rebuilt from its own parts, which drops an empty "?" or "#" and
    nothing else that canonical_url keeps, except a ";" that ends the path: urlparse reads
    that as an empty ``params``.)"""
    return parts.scheme in ("http", "https") and bool(parts.netloc) and parts.path[-1:] != ";"


def identity_key(entry: RawEntry, feed_id: str, link: str | None) -> str:
    """What makes an entry the same entry over time, before hashing."""
    guid = (entry.guid or "").strip()
    if guid and _GLOBAL_GUID.match(guid):
        if guid.lower().startswith("http"):
            return _with_fragment(canonical_url(guid) or guid, guid)
        return guid
    if link:
        return _with_fragment(link, entry.link or "")
    if guid:
        # A bare guid ("12345") is unique only within its feed.
        return f"{feed_id}#{guid}"
    # Neither guid nor link: the text is all the identity there is.
    text = f"{clean_text(entry.title)}\x1f{clean_text(entry.summary)}"
    return f"{feed_id}#text:{hashlib.sha256(text.encode()).hexdigest()}"


def _with_fragment(canonical: str, original: str) -> str:
    """The canonical URL plus the original's fragment. A link drops its fragment, but as an
    identity it may be all that tells two posts on one page apart (scripting.com's
    ``2017/06/26.html#a080605``): without it 43 of that feed's 50 entries were merged away."""
    fragment = urlsplit(original.strip()).fragment
    return f"{canonical}#{fragment}" if fragment else canonical


def item_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def content_hash(title: str, summary: str) -> str:
    return hashlib.sha256(f"{title}\x1f{summary}".encode()).hexdigest()[:16]


def normalise_language(value: str | None) -> str | None:
    match = _LANG.match((value or "").strip())
    return match.group(1).lower() if match else None


class _FeedValues:
    """What every entry of one feed shares, worked out once per feed rather than once per
    entry (the base URL's urljoin alone cost a fifth as much as canonicalising the links).
    Each is worked out when an entry first needs it, as it was before, so that a feed whose
    title or language cannot be read still fails, or not, exactly where it did."""

    def __init__(self, feed: FeedSpec, raw_feed: RawFeed) -> None:
        self._feed = feed
        self._raw_feed = raw_feed

    @cached_property
    def base(self) -> str:
        return _base_url(self._raw_feed, self._feed)

    @cached_property
    def source(self) -> str:
        return self._feed.name or clean_text(self._raw_feed.title) or self._feed.id

    @cached_property
    def language(self) -> str | None:
        return normalise_language(self._feed.language or self._raw_feed.language)


def normalise_entry(
    entry: RawEntry, feed: FeedSpec, shared: _FeedValues, fetched_at: datetime
) -> NewsItem | None:
    """One clean NewsItem, or None for an entry with neither title nor summary nor link."""
    title = clean_text(entry.title)
    summary = clean_text(entry.summary)
    link = canonical_url(entry.link, base=shared.base)
    if not (title or summary or link):
        return None
    if not title:
        # Some feeds (microblogs) publish summary-only entries; a title is what
        # every channel shows, so borrow the summary's opening.
        title = summary[:140].rsplit(" ", 1)[0] + "…" if len(summary) > 140 else summary
    published = entry.published.astimezone(UTC) if entry.published else None
    return NewsItem(
        id=item_id(identity_key(entry, feed.id, link)),
        feed_id=feed.id,
        feed_url=feed.url,
        source=shared.source,
        title=title,
        summary=summary,
        link=link,
        guid=entry.guid,
        published_at=published or fetched_at,
        published_at_estimated=published is None,
        fetched_at=fetched_at,
        language=shared.language,
        content_hash=content_hash(title, summary),
    )


def _base_url(raw_feed: RawFeed, feed: FeedSpec) -> str:
    # The feed's own <link> may itself be relative ("/"): resolve it against where we fetched.
    return urljoin(feed.url, raw_feed.link) if raw_feed.link else feed.url


def normalise_feed(raw: RawFeed, feed: FeedSpec, fetched_at: datetime) -> list[NewsItem]:
    items: dict[str, NewsItem] = {}
    shared = _FeedValues(feed, raw)
    for entry in raw.entries:
        item = normalise_entry(entry, feed, shared, fetched_at)
        # A feed repeating an entry within one document keeps its first copy.
        if item is not None and item.id not in items:
            items[item.id] = item
    return list(items.values())
