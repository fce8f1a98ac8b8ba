"""The command-line arguments of `newswatch feeds`: one sub-command per action, each with
only its own flags, so a flag an action does not take is refused instead of ignored.

Kept apart from ``cli.py`` so that building the parser imports nothing heavy: every
`newswatch` command builds it.
"""

import argparse


def add_feed_arguments(p: argparse.ArgumentParser) -> None:
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="register a feed", description="Register a feed.")
    add.add_argument("target", metavar="URL", help="the feed's URL")
    add.add_argument("--name", help="the source name alerts show (default: the feed's title)")
    add.add_argument("--interval", type=float, help="starting poll interval in seconds")
    add.add_argument("--language", help="ISO 639-1 code, when the feed does not say")
    for action, verb in (
        ("remove", "Remove a feed from the registry."),
        ("pause", "Stop polling a feed (it stays registered)."),
        ("resume", "Poll a paused feed again."),
    ):
        one = actions.add_parser(action, help=verb.rstrip(".").lower(), description=verb)
        one.add_argument("target", metavar="FEED", help="the feed's id or URL")
    actions.add_parser("list", help="list the feeds", description="List the registered feeds.")
    actions.add_parser(
        "status",
        help="each feed's health and the error counts",
        description="Each feed's health (last success, last error, failures, next poll), "
        "then the error counts by kind.",
    )
    imports = actions.add_parser(
        "import-opml",
        help="register the feeds of a feed list",
        description="Register the feeds of an OPML or YAML feed list (told apart by content) "
        "that are not registered yet.",
    )
    imports.add_argument("target", metavar="FILE", help="OPML or YAML feed list")
    export = actions.add_parser(
        "export-opml", help="write the feeds as OPML", description="Write the feeds as OPML."
    )
    export.add_argument("target", metavar="FILE", nargs="?", help="output file (default: stdout)")
