"""Feed bytes -> RawFeed, for RSS 0.9x/1.0/2.0, Atom and JSON Feed."""

import calendar
import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser

from newswatch.fetcher.entries import RawEntry, RawFeed
from newswatch.fetcher.fastparse import parse_simple_feed
from newswatch.fetcher.repair import without_bare_ampersands, without_blanks_before_declaration
from newswatch.shared.errors import FeedError


class FeedParseError(FeedError, ValueError):
    """The body is not a feed we can read any entries from."""


def parse_feed(body: bytes, content_type: str | None = None) -> RawFeed:
    if _looks_like_json(body, content_type):
        return parse_json_feed(body)
    body, repaired = without_blanks_before_declaration(body)
    # Well-formed, plain feeds take the fast path; everything else gets feedparser's care.
    raw = parse_simple_feed(body, content_type)
    if raw is None:
        # Only now, when the fast path has declined: most feeds never pay for the repair.
        body, escaped = without_bare_ampersands(body, content_type)
        if escaped:
            repaired = f"{repaired}; {escaped}" if repaired else escaped
            raw = parse_simple_feed(body, content_type)
    raw = raw or parse_xml_feed(body, content_type)
    if repaired and raw.recovered_error is None:
        raw.recovered_error = repaired  # still counted and logged as malformed
    return raw


def _looks_like_json(body: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type.lower():
        return True
    return body.lstrip()[:1] in (b"{", b"[")


def parse_xml_feed(body: bytes, content_type: str | None = None) -> RawFeed:
    headers = {"content-type": content_type} if content_type else {}
    if not body.strip():
        raise FeedParseError("empty body")
    doc = feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )
    if not doc.get("version") and not doc.entries:
        reason = doc.get("bozo_exception") or "no RSS, Atom or RDF root element"
        raise FeedParseError(f"not a feed: {reason}")
    feed = doc.feed
    return RawFeed(
        title=feed.get("title", ""),
        link=feed.get("link"),
        language=feed.get("language"),
        entries=[_entry_from_feedparser(e) for e in doc.entries],
        recovered_error=str(doc.get("bozo_exception")) if doc.bozo else None,
    )


def _entry_from_feedparser(entry: dict[str, Any]) -> RawEntry:
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value", "")
    # dict.get, not entry.get: feedparser's own lookup maps missing dates with a DeprecationWarning.
    parsed = (
        dict.get(entry, "published_parsed")
        or dict.get(entry, "updated_parsed")
        or dict.get(entry, "created_parsed")
    )
    return RawEntry(
        title=entry.get("title", ""),
        summary=summary,
        link=entry.get("link"),
        guid=entry.get("id") or None,
        published=_struct_to_datetime(parsed),
    )


def _struct_to_datetime(parsed: object) -> datetime | None:
    if not parsed:
        return None
    try:
        # feedparser's struct_time is already UTC.
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)  # type: ignore[arg-type]
    except (OverflowError, ValueError, TypeError):
        return None


def parse_json_feed(body: bytes) -> RawFeed:
    """JSON Feed 1.0 and 1.1 (https://jsonfeed.org), which feedparser 6 does not read,
    and RSS 2.0 transliterated to JSON (``{"rss": {"channel": {"item": [...]}}}``)."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(f"JSON feed is not valid JSON: {exc}") from exc
    if isinstance(doc, dict) and isinstance(doc.get("rss"), dict):
        return _rss_in_json(doc["rss"])
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedParseError("JSON document has no 'items' list: not a JSON Feed")
    entries = []
    for raw in doc["items"]:
        if not isinstance(raw, dict):
            continue
        entries.append(
            RawEntry(
                title=str(raw.get("title") or ""),
                summary=str(
                    raw.get("summary") or raw.get("content_html") or raw.get("content_text") or ""
                ),
                link=raw.get("url") or raw.get("external_url"),
                guid=str(raw["id"]) if raw.get("id") is not None else None,
                published=_iso_datetime(raw.get("date_published") or raw.get("date_modified")),
            )
        )
    return RawFeed(
        title=str(doc.get("title") or ""),
        link=doc.get("home_page_url"),
        language=doc.get("language"),
        entries=entries,
        reader="json",
    )


def _rss_in_json(rss: dict[str, Any]) -> RawFeed:
    channel = rss.get("channel")
    if not isinstance(channel, dict):
        raise FeedParseError("RSS-in-JSON document has no 'channel'")
    raw_items = channel.get("item") or []
    if isinstance(raw_items, dict):
        raw_items = [raw_items]
    entries = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            continue
        guid = raw.get("guid")
        if isinstance(guid, dict):
            guid = guid.get("#value") or guid.get("value") or guid.get("#text")
        entries.append(
            RawEntry(
                title=str(raw.get("title") or ""),
                summary=str(raw.get("description") or ""),
                link=raw.get("link") if isinstance(raw.get("link"), str) else None,
                guid=str(guid) if guid else None,
                published=_rfc822_datetime(raw.get("pubDate")),
            )
        )
    return RawFeed(
        title=str(channel.get("title") or ""),
        link=channel.get("link") if isinstance(channel.get("link"), str) else None,
        language=channel.get("language") if isinstance(channel.get("language"), str) else None,
        entries=entries,
        reader="json",
    )


def _rfc822_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso_datetime(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
