"""RawEntry -> NewsItem: clean text, canonical links, UTC dates and a stable id."""

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

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
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return url or None
    query = urlencode(
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


def normalise_entry(
    entry: RawEntry, feed: FeedSpec, raw_feed: RawFeed, fetched_at: datetime
) -> NewsItem | None:
    """One clean NewsItem, or None for an entry with neither title nor summary nor link."""
    title = clean_text(entry.title)
    summary = clean_text(entry.summary)
    link = canonical_url(entry.link, base=_base_url(raw_feed, feed))
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
        source=feed.name or clean_text(raw_feed.title) or feed.id,
        title=title,
        summary=summary,
        link=link,
        guid=entry.guid,
        published_at=published or fetched_at,
        published_at_estimated=published is None,
        fetched_at=fetched_at,
        language=normalise_language(feed.language or raw_feed.language),
        content_hash=content_hash(title, summary),
    )


def _base_url(raw_feed: RawFeed, feed: FeedSpec) -> str:
    # The feed's own <link> may itself be relative ("/"): resolve it against where we fetched.
    return urljoin(feed.url, raw_feed.link) if raw_feed.link else feed.url


def normalise_feed(raw: RawFeed, feed: FeedSpec, fetched_at: datetime) -> list[NewsItem]:
    items: dict[str, NewsItem] = {}
    for entry in raw.entries:
        item = normalise_entry(entry, feed, raw, fetched_at)
        # A feed repeating an entry within one document keeps its first copy.
        if item is not None and item.id not in items:
            items[item.id] = item
    return list(items.values())
