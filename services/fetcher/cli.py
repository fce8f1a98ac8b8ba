"""`newswatch feeds ...`: the feed registry at run time, and each feed's health as a table."""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from newswatch.fetcher.feeds import (
    FeedConfigError,
    FeedSpec,
    parse_feed_yaml,
    parse_opml,
    render_opml,
)
from newswatch.fetcher.registry import FeedRegistry
from newswatch.fetcher.schedule import FeedHealth
from newswatch.fetcher.settings import FetcherSettings
from newswatch.shared.redis import create_redis


async def run_feeds(args: argparse.Namespace) -> int:
    settings = FetcherSettings()
    redis = create_redis(settings)
    registry = FeedRegistry(redis, settings.redis_prefix)
    try:
        return await _dispatch(args, registry)
    finally:
        await redis.aclose()


async def _dispatch(args: argparse.Namespace, registry: FeedRegistry) -> int:
    action = args.action
    if action == "list":
        for each in await registry.all():
            state = "paused" if each.paused else "active"
            print(f"{each.id:40} {state:6} every {each.interval_seconds:>6.0f}s  {each.url}")
        return 0
    if action == "status":
        print(
            status_table(
                await registry.all(), await registry.health(await registry.ids()), datetime.now(UTC)
            )
        )
        errors = await registry.error_counts()
        print("\nerrors by kind: " + (", ".join(f"{k}={v}" for k, v in errors.items()) or "none"))
        return 0
    if action == "export-opml":
        specs = await registry.all()
        text = render_opml(specs)
        if args.target:
            await asyncio.to_thread(Path(args.target).write_text, text, "utf-8")
            print(f"wrote {len(specs)} feed(s) to {args.target}")
        else:
            sys.stdout.write(text)
        return 0
    if action == "import-opml":
        try:
            data = await asyncio.to_thread(Path(args.target).read_bytes)
            specs = parse_feed_file(data, args.target)
        except OSError as exc:
            print(f"newswatch feeds import-opml: {exc}", file=sys.stderr)
            return 2
        except FeedConfigError as exc:
            print(f"newswatch feeds import-opml: {exc}", file=sys.stderr)
            return 2
        added = await registry.add_missing(specs)
        print(f"imported {len(added)} new feed(s); {len(specs) - len(added)} already registered")
        return 0
    if action == "add":
        try:
            new = FeedSpec(
                url=args.target,
                name=args.name or "",
                language=args.language,
                **({"interval_seconds": args.interval} if args.interval else {}),
            )
        except ValidationError as exc:
            print(f"newswatch feeds add: {exc.errors()[0]['msg']}", file=sys.stderr)
            return 2
        added = await registry.add_missing([new])
        print(f"added {new.id}" if added else f"already registered: {new.id}")
        return 0
    spec = await registry.find(args.target)
    if spec is None:
        print(f"no feed {args.target!r}", file=sys.stderr)
        return 1
    if action == "remove":
        await registry.remove(spec.id)
        print(f"removed {spec.id}")
    else:  # pause, resume
        await registry.save(spec.model_copy(update={"paused": action == "pause"}))
        print(f"{action}d {spec.id}")
    return 0


def parse_feed_file(data: bytes, source: str) -> list[FeedSpec]:
    """An OPML or a YAML feed list, told apart by its content, whatever the file is called
    (an OPML export saved as .html or .txt is still OPML)."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"<"):
        return parse_opml(start)  # XML must not have anything before its declaration
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FeedConfigError(f"{source}: neither OPML nor a UTF-8 YAML feed list") from exc
    return parse_feed_yaml(text, source=source)


def status_table(specs: list[FeedSpec], health: dict[str, FeedHealth], now: datetime) -> str:
    """One line per feed: state, last success, last error and its kind, failures, rate, next poll."""
    rows = [("feed", "state", "last success", "last error", "fails", "per day", "next poll")]
    for spec in specs:
        h = health.get(spec.id)
        if h is None:
            state, next_poll = ("paused", "paused") if spec.paused else ("new", "soon")
            rows.append((spec.id, state, "-", "-", "0", "-", next_poll))
            continue
        state = "paused" if spec.paused else ("failing" if h.consecutive_failures else "ok")
        error = f"{h.last_error_kind} ({_ago(h.last_error_at, now)})" if h.last_error_kind else "-"
        rate = f"{h.entries_per_day:.1f}" if h.entries_per_day is not None else "-"
        rows.append(
            (
                spec.id,
                state,
                _ago(h.last_success_at, now),
                error,
                str(h.consecutive_failures),
                rate,
                "paused" if spec.paused else _until(h.next_poll_at, now),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


def _ago(when: datetime | None, now: datetime) -> str:
    return "never" if when is None else f"{_span((now - when).total_seconds())} ago"


def _until(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "soon"
    seconds = (when - now).total_seconds()
    return "due" if seconds <= 0 else f"in {_span(seconds)}"


def _span(seconds: float) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"
