"""`newswatch`: run a service, classify from stdin, manage topics, subscriptions and schemas.

Each command imports its stage lazily, so `newswatch classify` starts without faust.
"""

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newswatch import __version__


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    from newswatch.shared.observability import configure_logging
    from newswatch.shared.settings import CommonSettings

    common = CommonSettings()
    configure_logging(
        getattr(args, "log_level", None) or common.log_level,
        common.log_format,
        service=args.run.__name__.lstrip("_"),  # the command: fetcher, classifier, api...
    )
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        return 130
    except (ValueError, OSError) as exc:
        # Configuration errors (a broken tag file, a bad feed list) end with one clear line.
        print(f"newswatch: error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        # Redis or Kafka down: one line saying where and why, not the client's traceback.
        from newswatch.shared.reachability import describe_unreachable

        line = describe_unreachable(exc, common)
        if line is None:
            raise
        print(f"newswatch: {line}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newswatch", description=__doc__)
    parser.add_argument("--version", action="version", version=f"newswatch {__version__}")
    parser.add_argument("--log-level", help="DEBUG, INFO, WARNING (default: NEWSWATCH_LOG_LEVEL)")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(
        name: str, help: str, run: Callable[[argparse.Namespace], int | None]
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(run=run)
        return p

    p = command("fetcher", "Poll the configured feeds and publish new items to Kafka.", _fetcher)
    p.add_argument(
        "--feeds", type=Path, help="feed list (YAML or OPML); default NEWSWATCH_FETCHER_FEEDS_FILE"
    )
    p.add_argument("--once", action="store_true", help="poll every feed once, then exit")
    command("classifier", "Run the classifier (a faust worker).", _classifier)
    command("alerter", "Match classified items to subscriptions and deliver alerts.", _alerter)

    p = command(
        "classify", "Classify JSON lines from stdin; one JSON line out per input.", _classify
    )
    p.add_argument(
        "--tags-dir", type=Path, help="folder of tag YAML files (default: built-in tags)"
    )
    p = command(
        "eval",
        "Score the classifier on labelled JSON lines: P/R/F1 per tag and recall per language.",
        _eval,
    )
    p.add_argument(
        "--data",
        type=Path,
        action="append",
        help='JSON lines {"id","title","summary","tags"} or a folder of them; repeat for '
        "several splits (default: the project's dev and frozen test splits, and "
        "../shared/eval/real_dev.jsonl where it is present)",
    )
    p.add_argument(
        "--tags-dir", type=Path, help="folder of tag YAML files (default: built-in tags)"
    )
    p.add_argument("--worst", type=int, default=10, help="how many misses and false alarms to list")
    p.add_argument(
        "--list-frozen",
        action="store_true",
        help="list the frozen test split's misses too (by default it shows figures only, so "
        "that reading it does not turn into tuning on it)",
    )
    p.add_argument("--rules-only", action="store_true", help="score the rules without the model")
    from newswatch.alerter.feedback.arguments import (
        add_eval_feedback_arguments,
        add_feedback_arguments,
    )

    add_eval_feedback_arguments(p)
    p = command(
        "train", "Fit the learned model beside the tag files from labelled JSON lines.", _train
    )
    p.add_argument(
        "--data",
        type=Path,
        action="append",
        help="labelled JSON lines, or a folder of them; repeat to add more "
        "(default: tests/data/classifier/train)",
    )
    p.add_argument(
        "--calibrate",
        type=Path,
        action="append",
        help="labelled items the model does not learn from (real news): among the thresholds "
        "the out-of-fold training items find equally good, the best on these wins; repeat to "
        "add more (`make model` passes ../shared/eval/real_dev.jsonl where it is present)",
    )
    p.add_argument("--tags-dir", type=Path, help="tag folder to train for (default: built-in)")
    p.add_argument("--out", type=Path, help="model file (default: model.json.gz beside the tags)")
    p = command("tags", "Check tag files and list the tags they define.", _tags)
    p.add_argument("tags_dir", nargs="?", type=Path, help="folder of tag YAML files")

    p = command("topics", "Create the pipeline's Kafka topics, or list them.", _topics)
    p.add_argument("action", choices=["create", "list"])
    p.add_argument("--tags-dir", type=Path, help="tag files whose topics to create")
    p.add_argument(
        "--partitions",
        type=int,
        help="create topics with N partitions and grow existing ones to N (never shrinks); "
        "default NEWSWATCH_TOPIC_PARTITIONS for new topics, existing ones left as they are",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for Kafka to answer before giving up (default 30; 0: no wait)",
    )

    p = command(
        "feeds", "Manage the feed registry at run time, and see each feed's health.", _feeds
    )
    from newswatch.fetcher.arguments import add_feed_arguments

    add_feed_arguments(p)

    from newswatch.alerter.arguments import (
        add_delivery_arguments,
        add_key_arguments,
        add_subscription_arguments,
    )

    p = command(
        "subscriptions", "Manage any team's subscriptions and see their deliveries.", _subscriptions
    )
    add_subscription_arguments(p)
    p = command("keys", "Issue, revoke and list the subscriptions API's keys.", _keys)
    add_key_arguments(p)
    p = command("deliveries", "List failed deliveries, or queue them again.", _deliveries)
    add_delivery_arguments(p)
    p = command("feedback", "Review officers' feedback and export it for training.", _feedback)
    add_feedback_arguments(p)
    p = command("api", "Serve the subscriptions API (HTTP, OpenAPI at /openapi.json).", _api)

    p = command("schemas", "Write the JSON Schema files, or check they match the models.", _schemas)
    p.add_argument("action", choices=["export", "check"])
    p.add_argument("--dir", type=Path, help="output folder (default: shared/schemas)")

    p = command(
        "demo-servers", "Serve the demo feed and local Slack, webhook and SMTP sinks.", _demo
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--http-port", type=int, default=18080)
    p.add_argument("--smtp-port", type=int, default=18025)
    p.add_argument("--drip-seconds", type=float, default=3.0)
    p.add_argument(
        "--received-file",
        type=Path,
        help="also append each line the sinks print to this file (make run waits for the first)",
    )
    return parser


def _fetcher(args: argparse.Namespace) -> None:
    from newswatch.fetcher.main import main
    from newswatch.fetcher.settings import FetcherSettings

    overrides: dict[str, Any] = {}
    if args.feeds:
        overrides["feeds_file"] = args.feeds
    if args.once:
        overrides["once"] = True
    main(FetcherSettings(**overrides))


def _classifier(args: argparse.Namespace) -> None:
    from newswatch.classifier.main import main

    main()


def _alerter(args: argparse.Namespace) -> None:
    from newswatch.alerter.main import main

    main()


def _load_classifier(tags_dir: Path | None, with_model: bool = True) -> "object":
    from newswatch.classifier.classify import Classifier

    return Classifier.from_folder(tags_dir, with_model=with_model)


def _classify(args: argparse.Namespace) -> int:
    from newswatch.classifier import batch

    return batch.run(_load_classifier(args.tags_dir))  # type: ignore[arg-type]


def _eval(args: argparse.Namespace) -> int:
    if args.feedback:
        from newswatch.alerter.feedback.cli import run_eval_feedback

        return asyncio.run(run_eval_feedback(args))
    from newswatch.classifier import evaluation

    classifier = _load_classifier(args.tags_dir, with_model=not args.rules_only)
    splits = {str(p): p for p in args.data} if args.data else _default_splits()
    for number, (name, path) in enumerate(splits.items()):
        if not path.exists():
            print(f"newswatch eval: no such file or folder: {path}", file=sys.stderr)
            return 2
        outcomes = evaluation.run(classifier, _examples(path))  # type: ignore[arg-type]
        report = evaluation.score(outcomes, classifier.tags)  # type: ignore[attr-defined]
        print(("\n" if number else "") + f"== {name} ({len(outcomes)} items) ==")
        frozen = path.resolve() in _FROZEN and not args.list_frozen
        print(evaluation.render(report, 0 if frozen else args.worst))
    return 0


_DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "classifier"
_SHARED = _DATA.parents[2].parent / "shared"  # beside a source checkout, where present
# Labels of real feed items, whose text stays in ../shared/feeds/real (third-party).
_REAL_FEED_LABELS = _DATA / "real_feeds" / "labels.jsonl"
# The frozen splits show figures only, however they are named on the command line: reading
# their items would turn into tuning on them.
_FROZEN = {_DATA / "test", _DATA / "probe", _DATA / "probe2", _REAL_FEED_LABELS}


def _examples(path: Path) -> list:
    from newswatch.classifier import evaluation

    if path.resolve() != _REAL_FEED_LABELS:
        return evaluation.read_examples(path)
    from newswatch.fetcher.files import item_texts

    return evaluation.read_feed_labels(path, item_texts(_SHARED / "feeds" / "real"))


def _default_splits() -> dict[str, Path]:
    """A source checkout's labelled splits: dev (tuned on), three frozen tests, and beside it
    (../shared) the labelled real feed items (frozen) and real dev."""
    figures_only = "figures only; --list-frozen lists its misses"
    splits = {
        "dev: tuned on": _DATA / "dev.jsonl",
        f"test: frozen, never tuned on ({figures_only})": _DATA / "test",
        f"probe: frozen, written after the model ({figures_only})": _DATA / "probe",
        f"probe2: frozen, written after the model ({figures_only})": _DATA / "probe2",
    }
    if (_SHARED / "feeds" / "real").exists():
        splits[f"real_feeds: real feed items labelled blind ({figures_only})"] = _REAL_FEED_LABELS
    real = _SHARED / "eval" / "real_dev.jsonl"
    if real.exists():
        splits["real_dev: real news, calibration only"] = real
    return splits


def _train(args: argparse.Namespace) -> int:
    from importlib import resources

    from newswatch.classifier import training
    from newswatch.classifier.evaluation import read_examples
    from newswatch.classifier.model import MODEL_FILE

    default = Path(__file__).resolve().parent.parent / "tests" / "data" / "classifier" / "train"
    paths = args.data or [default]
    missing = [p for p in [*paths, *(args.calibrate or [])] if not p.exists()]
    if missing:
        print(f"newswatch train: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    examples = [e for p in paths for e in read_examples(p)]
    calibration = [e for p in args.calibrate or [] for e in read_examples(p)]
    rules_only = _load_classifier(args.tags_dir, with_model=False)
    hits, in_body = training.rule_outcomes(rules_only, examples)
    calibration_hits, calibration_in_body = training.rule_outcomes(rules_only, calibration)
    report = training.train(
        examples,
        rules_only.tags,  # type: ignore[attr-defined]
        hits,
        calibration=calibration,
        calibration_hits=calibration_hits,
        vetoed=training.veto_flags(rules_only, examples),
        calibration_vetoed=training.veto_flags(rules_only, calibration),
        in_body=in_body,
        calibration_in_body=calibration_in_body,
    )
    folder = args.tags_dir or Path(str(resources.files("newswatch.classifier") / "tags"))
    out = args.out or folder / MODEL_FILE
    report.model.save(out)
    print(training.render(report))
    print(f"\nwrote {out}")
    return 0


def _tags(args: argparse.Namespace) -> None:
    classifier = _load_classifier(args.tags_dir)
    for definition in classifier.definitions:  # type: ignore[attr-defined]
        print(
            f"{definition.tag:24} {len(definition.rules):3} rules {len(definition.vetoes):3} vetoes"
            f"  threshold {definition.threshold}"
        )


def _topics(args: argparse.Namespace) -> None:
    from newswatch.shared.kafka import ensure_topics, grow_partitions
    from newswatch.shared.settings import CommonSettings

    settings = CommonSettings()
    tags = _load_classifier(args.tags_dir).tags  # type: ignore[attr-defined]
    names = settings.topics.pipeline(tags)
    if args.action == "create":
        if args.partitions is not None and args.partitions < 1:
            raise ValueError("--partitions must be at least 1")
        from newswatch.shared.reachability import wait_for_kafka

        say = lambda line: print(line, file=sys.stderr)  # noqa: E731
        asyncio.run(wait_for_kafka(settings, max(args.wait, 0.0), say))
        created = asyncio.run(ensure_topics(settings, names, args.partitions))
        print(f"created {len(created)} topic(s); {len(names) - len(created)} already existed")
        if args.partitions:
            grown = asyncio.run(grow_partitions(settings, names, args.partitions))
            for name, before in grown.items():
                print(f"grew {name} from {before} to {args.partitions} partitions")
    for name in names:
        print(name)


def _feeds(args: argparse.Namespace) -> int:
    from newswatch.fetcher.cli import run_feeds

    return asyncio.run(run_feeds(args))


def _subscriptions(args: argparse.Namespace) -> int:
    from newswatch.alerter.cli import run_subscriptions

    return asyncio.run(run_subscriptions(args))


def _keys(args: argparse.Namespace) -> int:
    from newswatch.alerter.cli import run_keys

    return asyncio.run(run_keys(args))


def _deliveries(args: argparse.Namespace) -> int:
    from newswatch.alerter.cli import run_deliveries

    return asyncio.run(run_deliveries(args))


def _feedback(args: argparse.Namespace) -> int:
    from newswatch.alerter.feedback.cli import run_feedback

    return asyncio.run(run_feedback(args))


def _api(args: argparse.Namespace) -> None:
    from newswatch.alerter.api import main

    main()


def _schemas(args: argparse.Namespace) -> int:
    from newswatch.shared import schemas

    directory = args.dir or schemas.SCHEMA_DIR
    if args.action == "check":
        stale = schemas.stale_schemas(directory)
        for name in stale:
            print(f"out of date: {directory / name} (run: newswatch schemas export)")
        if not args.dir:
            from newswatch.alerter.openapi import OPENAPI_FILE, render_openapi

            if not OPENAPI_FILE.exists() or OPENAPI_FILE.read_text() != render_openapi():
                print(f"out of date: {OPENAPI_FILE} (run: newswatch schemas export)")
                stale.append(OPENAPI_FILE.name)
        if stale:
            return 1
        count = len(schemas.render_schemas()) + (0 if args.dir else 1)  # + the OpenAPI document
        where = directory if args.dir else f"{directory} and the OpenAPI document"
        print(f"schemas match the models ({count} files in {where})")
        return 0
    for path in schemas.write_schemas(directory):
        print(path)
    if not args.dir:
        from newswatch.alerter.openapi import write_openapi

        print(write_openapi())
    return 0


def _demo(args: argparse.Namespace) -> None:
    from newswatch.demo.servers import main

    main(args.host, args.http_port, args.smtp_port, args.drip_seconds, args.received_file)


if __name__ == "__main__":
    sys.exit(main())
