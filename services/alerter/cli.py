"""`newswatch subscriptions ...`, `keys ...` and `deliveries ...`: the administrator's side.

The subscription commands do what the API does, for any team (``--team``), and
check channel targets against the same address policy.
"""

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.bootstrap import build_stores
from newswatch.alerter.failed import FailedFilter
from newswatch.alerter.masking import unmask
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import (
    check_subscription,
    known_tags,
    masked,
)
from newswatch.shared.contracts import ChannelTarget, Subscription
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.redis import create_redis

_LISTS = ("tags", "all_tags", "keywords", "exclude_keywords", "countries", "sources", "languages")


def parse_channel(spec: str) -> ChannelTarget:
    """``console``, ``slack:https://…``, ``email:ops@example.org``; options as ``;key=value``."""
    kind, _, rest = spec.partition(":")
    target, *opts = rest.split(";") if rest else ["-"]
    options = dict(o.split("=", 1) for o in opts if "=" in o)
    return ChannelTarget(kind=kind.strip(), target=target.strip() or "-", options=options)


def _changes(args: argparse.Namespace) -> dict[str, Any]:
    """Only what the command line gives: an update leaves the rest alone."""
    changes: dict[str, Any] = {}
    for name in _LISTS:
        value = getattr(args, name)
        if value is not None:
            changes[name] = [v.strip() for v in value.split(",") if v.strip()]
    for name in ("name", "min_confidence", "mode", "digest_minutes", "retry_for_hours"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.rate_limit is not None:
        if args.rate_limit == "none":
            changes["rate_limit"] = None
        else:
            count, _, minutes = args.rate_limit.partition("/")
            changes["rate_limit"] = {"max_alerts": count, "per_minutes": minutes or 60}
    for name in ("followups", "enabled"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name) == "on"
    if args.channel:
        changes["channels"] = [parse_channel(c).model_dump() for c in args.channel]
    return changes


def _fail(message: str, code: int = 2) -> int:
    print(f"newswatch: {message}", file=sys.stderr)
    return code


async def run_subscriptions(args: argparse.Namespace) -> int:
    settings = AlerterSettings()
    redis = create_redis(settings)
    stores = build_stores(settings, redis)
    store = stores.subscriptions
    try:
        if args.action == "list":
            for sub in await store.all(team=None if args.team == "*" else args.team):
                channels = ", ".join(c.kind for c in sub.channels)
                tags = ",".join(sub.tags + [f"+{t}" for t in sub.all_tags])
                state = "" if sub.enabled else " (disabled)"
                print(f"{sub.key:32} {sub.mode.value:9} tags={tags:40} -> {channels}{state}")
            return 0
        if not args.id:
            return _fail(f"subscriptions {args.action}: give a subscription id")
        old = await store.get(args.team, args.id)
        if args.action in ("add", "update"):
            if args.action == "add" and old is not None:
                return _fail(f"subscription {args.id!r} exists in team {args.team!r}; use update")
            if args.action == "update" and old is None:
                return _fail(f"no subscription {args.id!r} in team {args.team!r}", 1)
            base = old.model_dump(mode="json") if old else {}
            fields = {
                **base,
                **_changes(args),
                "id": args.id,
                "team": args.team,
                "updated_at": utc_now(),
            }
            try:
                sub = Subscription.model_validate(fields)
                unmask(sub, old)  # a target or secret pasted from `show` means "unchanged"
                policy = AddressPolicy.from_setting(settings.allowed_networks)
                await check_subscription(sub, policy, known_tags())
            except (ValidationError, ValueError) as exc:
                return _fail(f"subscriptions {args.action}: {exc}")
            await store.save(sub)
            print(f"saved subscription {sub.key}")
            return 0
        if old is None:
            return _fail(f"no subscription {args.id!r} in team {args.team!r}", 1)
        if args.action == "show":
            # Secrets stay in Redis; the terminal (and its scrollback) gets a mask.
            print(masked(old).model_dump_json(indent=2))
            return 0
        if args.action == "remove":
            await store.remove(args.team, args.id)
            print(f"removed {old.key}")
            return 0
        for d in await stores.ledger.recent(args.team, args.id, args.limit):
            last = d.attempts[-1] if d.attempts else None
            latency = f"{d.latency_ms:.0f}ms" if d.latency_ms is not None else "-"
            print(
                f"{d.finished_at:%Y-%m-%d %H:%M:%S} {d.status.value:9} {d.kind:6} {d.channel:8} "
                f"attempts={len(d.attempts)} latency={latency:8} story={(d.story_id or '-')[:12]} "
                f"{(last.error or '') if last else ''}"
            )
        return 0
    finally:
        await redis.aclose()


async def run_keys(args: argparse.Namespace) -> int:
    settings = AlerterSettings()
    redis = create_redis(settings)
    keys = build_stores(settings, redis).keys
    try:
        if args.action == "create":
            if not args.team:
                return _fail("keys create: give --team")
            try:
                record, key = await keys.create(args.team, args.name)
            except ValidationError as exc:
                return _fail(f"keys create: {exc}")
            print(key)
            print(
                f"key {record.id} for team {record.team}: shown once, stored only as a hash",
                file=sys.stderr,
            )
            return 0
        if args.action == "revoke":
            if not args.key_id:
                return _fail("keys revoke: give the key id")
            revoked = await keys.revoke(args.key_id)
            if revoked is None:
                return _fail(f"no key {args.key_id!r}", 1)
            print(f"revoked key {revoked.id} of team {revoked.team}")
            return 0
        for record in await keys.all():
            state = f"revoked {record.revoked_at:%Y-%m-%d}" if record.revoked_at else "active"
            print(
                f"{record.id:14} team={record.team:20} {state:18} created {record.created_at:%Y-%m-%d} {record.name}"
            )
        return 0
    finally:
        await redis.aclose()


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


async def run_deliveries(args: argparse.Namespace) -> int:
    """List failed deliveries, or queue them again for the running alerters to send."""
    settings = AlerterSettings()
    try:
        which = FailedFilter(
            team=args.team or ("default" if args.subscription else None),
            subscription_id=args.subscription,
            channel=args.channel,
            since=_when(args.since),
            until=_when(args.until),
        )
    except ValueError as exc:
        return _fail(f"deliveries {args.action}: {exc}")
    redis = create_redis(settings)
    stores = build_stores(settings, redis)
    try:
        if args.action == "retry" and not args.dry_run:
            hours = args.retry_for_hours or settings.retry_for_hours
            replayed = await stores.failed.replay(stores.queue, which, hours, args.limit)
            for d in replayed:
                print(f"queued {d.id} {d.team}/{d.subscription_id} {d.channel} {d.target}")
            print(f"{len(replayed)} delivery(ies) queued again, each retried for {hours:g} h")
            return 0
        failed = await stores.failed.failed_deliveries(which, args.limit)
        verb = "would queue" if args.action == "retry" else "failed"
        for d in failed:
            last = d.attempts[-1].error if d.attempts else ""
            print(
                f"{verb} {d.id} {d.finished_at:%Y-%m-%d %H:%M:%S} {d.team}/{d.subscription_id} "
                f"{d.channel} {d.target} attempts={len(d.attempts)} {last or ''}"
            )
        print(f"{len(failed)} failed delivery(ies){' (dry run)' if args.dry_run else ''}")
        return 0
    finally:
        await redis.aclose()
