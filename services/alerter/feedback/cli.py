"""`newswatch feedback list|accept|reject|export` and `newswatch eval --feedback`."""

import argparse
import getpass
import sys
from datetime import timedelta

from redis.asyncio import Redis

from newswatch.alerter.feedback.export import training_rows
from newswatch.alerter.feedback.precision import AlertKey, precision_report, render
from newswatch.alerter.feedback.store import FeedbackStore
from newswatch.alerter.ledger import LOG_LENGTH, DeliveryLedger
from newswatch.alerter.settings import AlerterSettings
from newswatch.alerter.subscriptions import known_tags
from newswatch.shared.contracts import DeliveryStatus, FeedbackStatus
from newswatch.shared.contracts.base import utc_now
from newswatch.shared.redis import create_redis


def _fail(message: str, code: int = 2) -> int:
    print(f"newswatch: {message}", file=sys.stderr)
    return code


async def run_feedback(args: argparse.Namespace) -> int:
    from newswatch.alerter.feedback.outbox import FeedbackPublisher

    settings = AlerterSettings()
    redis = create_redis(settings)
    store = FeedbackStore(redis, settings.redis_prefix)
    try:
        if args.action == "list":
            status = FeedbackStatus(args.status) if args.status else None
            for f in await store.find(args.team, status=status, tag=args.tag, limit=args.limit):
                print(
                    f"{f.created_at:%Y-%m-%d %H:%M} {f.id} {f.team:12} {f.kind.value:11} "
                    f"{f.tag:16} {f.status.value:8} {f.item.title[:60]}"
                    + (f"  ({f.comment[:60]})" if f.comment else "")
                )
            return 0
        if args.action == "export":
            if not args.out:
                return _fail("feedback export: give --out FILE")
            status = FeedbackStatus(args.status or "accepted")
            export = training_rows(await store.find(args.team, status=status, limit=10**9))
            args.out.write_text(export.jsonl(), "utf-8")
            print(f"wrote {len(export.rows)} example(s) to {args.out}")
            for what, ids in (
                ("no text kept", export.without_text),
                ("contradicted", export.contradicted),
            ):
                if ids:
                    print(f"left out ({what}): {', '.join(ids)}", file=sys.stderr)
            return 0
        if not args.id:
            return _fail(f"feedback {args.action}: give the feedback id")
        status = FeedbackStatus.ACCEPTED if args.action == "accept" else FeedbackStatus.REJECTED
        record = await store.review(args.id, status, args.by or getpass.getuser())
        if record is None:
            return _fail(f"no feedback {args.id!r}", 1)
        publisher = FeedbackPublisher(store, settings, "cli")
        sent = await publisher.flush()  # Kafka away: the API's outbox loop sends it later
        await publisher.close()
        print(f"{status.value} {record.id} ({record.kind.value} {record.tag}, team {record.team})")
        if not sent:
            print("not yet on the feedback topic: kept in the outbox", file=sys.stderr)
        return 0
    finally:
        await redis.aclose()


async def delivered_alerts(redis: Redis, prefix: str, since: float) -> set[AlertKey]:
    """(team, item, tag) of every alert delivered since ``since``, from the delivery logs."""
    ledger = DeliveryLedger(redis, prefix)
    logs = f"{prefix}:alerter:log:"  # one list per subscription: {team}/{subscription}
    seen: set[AlertKey] = set()
    async for key in redis.scan_iter(match=f"{logs}*", count=500):
        team, _, sub = key.decode()[len(logs) :].partition("/")
        for d in await ledger.recent(team, sub, LOG_LENGTH):
            if (
                d.kind == "alert"
                and d.status is DeliveryStatus.DELIVERED
                and d.finished_at.timestamp() >= since
            ):
                seen.update((d.team, d.item_id, tag) for tag in d.tags)
    return seen


async def run_eval_feedback(args: argparse.Namespace) -> int:
    settings = AlerterSettings()
    redis = create_redis(settings)
    try:
        since = (utc_now() - timedelta(days=args.days)).timestamp()
        alerts = await delivered_alerts(redis, settings.redis_prefix, since)
        if args.team:
            alerts = {a for a in alerts if a[0] == args.team}
        store = FeedbackStore(redis, settings.redis_prefix)
        feedback = await store.find(args.team, since=since, limit=10**9)
        print(render(precision_report(alerts, feedback, known_tags()), args.days))
        return 0
    finally:
        await redis.aclose()
