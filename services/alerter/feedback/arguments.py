"""The command-line arguments of `newswatch feedback` and `newswatch eval --feedback`; light, as
every `newswatch` command builds the parser."""

import argparse
from pathlib import Path


def add_feedback_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=["list", "accept", "reject", "export"])
    p.add_argument("id", nargs="?", help="feedback id (accept, reject)")
    p.add_argument("--team", help="one team's feedback (default: every team's)")
    p.add_argument(
        "--status",
        choices=["pending", "accepted", "rejected"],
        help="list: only these; export: these (default accepted)",
    )
    p.add_argument("--tag", help="list: only this tag")
    p.add_argument("--limit", type=int, default=100, help="list: at most this many (newest)")
    p.add_argument("--out", type=Path, help="export: the JSON-lines file to write")
    p.add_argument("--by", help="accept, reject: who reviewed it (default: $USER)")


def add_eval_feedback_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--feedback",
        action="store_true",
        help="instead: the precision officers see, from delivered alerts and their feedback",
    )
    p.add_argument("--days", type=float, default=30.0, help="with --feedback: the window")
    p.add_argument("--team", help="with --feedback: one team only")
