"""The command-line arguments of `newswatch subscriptions`, `keys` and `deliveries`.

Kept apart from ``cli.py`` so that building the parser imports nothing heavy: every
`newswatch` command builds it.
"""

import argparse
from typing import Any


def add_subscription_arguments(p: argparse.ArgumentParser) -> None:
    """One sub-command per action, each with only its own flags."""
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    team: dict[str, Any] = {
        "default": "default",
        "help": "the subscription's team (default: default)",
    }
    for action, text in (
        ("add", "Add a subscription."),
        ("update", "Change a subscription: only the flags given."),
    ):
        one = actions.add_parser(action, help=text.rstrip(".").lower(), description=text)
        one.add_argument("id", help="subscription id (unique within the team)")
        one.add_argument("--team", **team)
        _add_subscription_fields(one)
    listing = actions.add_parser(
        "list", help="list subscriptions", description="List a team's subscriptions."
    )
    listing.add_argument("--team", default="default", help="the team ('*': every team)")
    for action, text in (
        ("show", "Show a subscription (channel secrets masked)."),
        ("remove", "Remove a subscription."),
        ("deliveries", "A subscription's latest deliveries."),
    ):
        one = actions.add_parser(action, help=text.rstrip(".").lower(), description=text)
        one.add_argument("id", help="subscription id (unique within the team)")
        one.add_argument("--team", **team)
        if action == "deliveries":
            one.add_argument("--limit", type=int, default=50, help="deliveries to show")


def _add_subscription_fields(p: argparse.ArgumentParser) -> None:
    p.add_argument("--name")
    p.add_argument("--tags", help="comma-separated; alert on ANY of them")
    p.add_argument("--all-tags", help="comma-separated; the item must carry ALL of them")
    p.add_argument("--min-confidence", type=float)
    p.add_argument("--keywords", help="comma-separated; one must occur (whole words)")
    p.add_argument("--exclude-keywords", help="comma-separated; none may occur")
    p.add_argument("--countries", help="comma-separated ISO 3166-1 alpha-2 codes")
    p.add_argument("--sources", help="comma-separated outlet names or feed ids")
    p.add_argument("--languages", help="comma-separated ISO 639-1 codes")
    p.add_argument("--mode", choices=["immediate", "digest"])
    p.add_argument("--digest-minutes", type=int)
    p.add_argument("--rate-limit", metavar="N/MINUTES", help="e.g. 10/60; 'none' to remove")
    p.add_argument("--followups", choices=["on", "off"])
    p.add_argument(
        "--retry-for-hours", type=float, help="retry failing deliveries this long (default 24)"
    )
    p.add_argument("--enabled", choices=["on", "off"])
    p.add_argument(
        "--channel",
        action="append",
        metavar="KIND[:TARGET]",
        help="console, slack:URL, webhook:URL;secret=S, email:ADDRESS, apprise:URL (repeatable)",
    )


def add_key_arguments(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser(
        "create", help="issue a key", description="Issue a key; it is shown once."
    )
    create.add_argument("--team", required=True, help="the team the new key belongs to")
    create.add_argument("--name", default="", help="who or what uses the key")
    revoke = actions.add_parser("revoke", help="revoke a key", description="Revoke a key.")
    revoke.add_argument("key_id", help="the key's id")
    actions.add_parser("list", help="list the keys", description="List every key.")


def add_delivery_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["failed", "retry"], help="list failed ones, or queue again")
    p.add_argument("--team", help="only this team's")
    p.add_argument("--subscription", help="only this subscription's (with --team, else 'default')")
    p.add_argument("--channel", help="only this channel kind's (webhook, slack, email, ...)")
    p.add_argument("--since", help="failed at or after this time (ISO 8601; UTC unless given)")
    p.add_argument("--until", help="failed at or before this time (ISO 8601; UTC unless given)")
    p.add_argument("--dry-run", action="store_true", help="show what retry would queue; do nothing")
    p.add_argument("--limit", type=int, default=1000, help="at most this many")
    p.add_argument(
        "--retry-for-hours",
        type=float,
        help="retry each for this long (default NEWSWATCH_ALERTER_RETRY_FOR_HOURS)",
    )
