"""`newswatch subscriptions ...`: the operator's view of subscriptions and their deliveries."""

import argparse
import json
import sys

from pydantic import ValidationError

from newswatch.alerter.ledger import DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import SubscriptionStore
from newswatch.shared.contracts import ChannelTarget, Subscription
from newswatch.shared.redis import create_redis


def parse_channel(spec: str) -> ChannelTarget:
    """``console``, ``slack:https://…``, ``email:ops@example.org``; options as ``;key=value``."""
    kind, _, rest = spec.partition(":")
    target, *opts = rest.split(";") if rest else ["-"]
    options = dict(o.split("=", 1) for o in opts if "=" in o)
    return ChannelTarget(kind=kind.strip(), target=target.strip() or "-", options=options)


async def run_subscriptions(args: argparse.Namespace) -> int:
    settings = AlerterSettings()
    redis = create_redis(settings)
    store = SubscriptionStore(redis, settings.redis_prefix)
    try:
        if args.action == "list":
            for sub in await store.all():
                channels = ", ".join(c.kind for c in sub.channels)
                print(f"{sub.id:20} team={sub.team:12} tags={','.join(sub.tags):50} -> {channels}")
            return 0
        if not args.id:
            print(f"newswatch subscriptions {args.action}: give a subscription id", file=sys.stderr)
            return 2
        if args.action == "add":
            try:
                sub = Subscription(
                    id=args.id,
                    name=args.name,
                    team=args.team,
                    tags=[t.strip() for t in args.tags.split(",") if t.strip()],
                    min_confidence=args.min_confidence,
                    channels=[parse_channel(c) for c in args.channel],
                )
                await store.save(sub)
            except (ValidationError, ValueError) as exc:
                print(f"newswatch subscriptions add: {exc}", file=sys.stderr)
                return 2
            print(f"saved subscription {sub.id}")
            return 0
        if args.action == "show":
            sub = await store.get(args.id)
            if sub is None:
                print(f"no subscription {args.id!r}", file=sys.stderr)
                return 1
            shown = sub.model_dump(mode="json")
            for channel in shown["channels"]:
                # Secrets stay in Redis; the terminal (and its scrollback) gets a mask.
                channel["options"] = {
                    k: "***" if k == "secret" else v for k, v in channel["options"].items()
                }
            print(json.dumps(shown, indent=2))
            return 0
        if args.action == "remove":
            removed = await store.remove(args.id)
            print("removed" if removed else f"no subscription {args.id!r}")
            return 0 if removed else 1
        for d in await DeliveryLedger(redis, settings.redis_prefix).recent(args.id):
            last = d.attempts[-1] if d.attempts else None
            print(
                f"{d.finished_at:%Y-%m-%d %H:%M:%S} {d.status.value:9} {d.channel:8} "
                f"attempts={len(d.attempts)} item={d.item_id[:12]} "
                f"{(last.error or '') if last else ''}"
            )
        return 0
    finally:
        await redis.aclose()
