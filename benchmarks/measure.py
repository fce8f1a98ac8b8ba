"""The measurements themselves: each returns rows of (name, value, unit, target)."""

import gzip
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from newswatch.alerter.matching import SubscriptionIndex
from newswatch.classifier.classify import Classifier
from newswatch.classifier.evaluation import read_examples
from newswatch.demo.feed import Story, render_rss
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.normalise import normalise_feed
from newswatch.fetcher.parse import FeedParseError, parse_feed
from newswatch.shared.contracts import ChannelTarget, ClassifiedItem, NewsItem, Subscription, TagHit

NOW = datetime(2025, 9, 2, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "classifier" / "dev.jsonl"
REAL_FEEDS = ROOT.parent / "shared" / "feeds" / "real"
TITLES = [
    "Russian missile strike on Kharkiv kills 12, officials say",
    "EU summons Iranian ambassador over detained diplomat",
    "Council adopts new sanctions on shipping firms",
    "Rail workers strike over pay across the north",
    "Government approves export licences for air defence systems",
    "Local bakery wins national bread award",
]
SUMMARY = (
    "Officials said the attack happened overnight and that rescue crews were still searching "
    "the rubble of a five-storey building. The regional governor urged residents to stay in "
    "shelters while air defences were active. Further details were expected later in the day."
)  # ~300 characters, the typical RSS summary


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    target: float | None = None
    cmp: str = ">="

    @property
    def met(self) -> bool:
        if self.target is None:
            return True
        return self.value >= self.target if self.cmp == ">=" else self.value <= self.target


def _timed(fn, repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat


def typical_items(per_feed: int = 50) -> tuple[str, list[tuple[str, str]]]:
    """Real feed entries (title, summary cut to 300 characters), at most ``per_feed`` per feed,
    so that no single podcast dominates; the development set where ../shared is absent."""
    if REAL_FEEDS.exists():
        items: list[tuple[str, str]] = []
        for path in sorted(REAL_FEEDS.iterdir()):
            body = path.read_bytes()
            body = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
            try:
                raw = parse_feed(body)
            except FeedParseError:
                continue
            entries = normalise_feed(raw, FeedSpec(url=f"https://bench.example/{path.name}"), NOW)
            items += [(i.title, i.summary[:300]) for i in entries[:per_feed]]
        return "real feeds", items
    return "development set", [(e.title, e.summary) for e in read_examples(DEV_SET)]


def _rate(classifier: Classifier, items: list[tuple[str, str]]) -> float:
    """Items per second, best of three passes (the machine's other load only slows a pass)."""
    best = min(_timed(lambda: [classifier.classify(t, s) for t, s in items], 1) for _ in range(3))
    return len(items) / best


def bench_classifier() -> list[Row]:
    classifier = Classifier.default()
    source, typical = typical_items()
    triggered = [(e.title, e.summary) for e in read_examples(DEV_SET) if e.tags]
    rows = []
    for label, items, target in (
        (f"typical items, {source}", typical, 10_000),
        ("items that all carry a tag", triggered, None),
    ):
        for title, summary in items[:50]:
            classifier.classify(title, summary)
        rows.append(Row(f"classify {label}: items/s", _rate(classifier, items), "/s", target))
    return rows


def bench_classify_command() -> list[Row]:
    """Peak memory of `newswatch classify` answering 10,000 lines (the classifier's own process)."""
    examples = read_examples(DEV_SET)
    lines = "".join(
        json.dumps(
            {
                "id": n,
                "title": examples[n % len(examples)].title,
                "summary": examples[n % len(examples)].summary,
            }
        )
        + "\n"
        for n in range(10_000)
    )
    # The command reports its own peak. Not ru_maxrss: Linux keeps that across exec, so the
    # forked copy of this (larger) benchmark process would count. VmHWM is the new process's.
    report_peak = (
        "import sys; from newswatch.cli import main; code = main(['classify']); "
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]; "
        "print(hwm, file=sys.stderr); sys.exit(code)"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", report_peak], input=lines, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - start
    assert len(done.stdout.splitlines()) == 10_000
    peak_mb = int(done.stderr.strip().splitlines()[-1]) / 1024
    return [
        Row("newswatch classify, 10,000 lines: seconds", elapsed, "s"),
        Row("newswatch classify: peak memory", peak_mb, "MB", 300, "<="),
    ]


def bench_parsing() -> list[Row]:
    stories = [Story(f"{TITLES[n % len(TITLES)]} ({n})", SUMMARY) for n in range(50)]
    body = render_rss(
        "Bench", "https://bench.example", [(f"g{n}", s, NOW) for n, s in enumerate(stories)]
    )
    feed = FeedSpec(url="https://bench.example/rss")
    ours = min(_timed(lambda: normalise_feed(parse_feed(body), feed, NOW), 20) for _ in range(3))
    plain = min(_timed(lambda: feedparser.parse(body), 20) for _ in range(3))
    return [
        Row("parse+normalise changed 50-entry feed", ours * 1000, "ms", 5, "<="),
        Row("plain feedparser, same feed (parse only)", plain * 1000, "ms"),
        Row("our parse path / plain feedparser", ours / plain, "x"),
    ]


def bench_matching() -> list[Row]:
    tags = ["strike", "diplomatic_protest", "sanctions", "arms_approval"]
    subs = [
        Subscription(
            id=f"s{n}",
            tags=[tags[n % 4], tags[(n * 7) % 4]],
            min_confidence=(n % 10) / 10,
            channels=[ChannelTarget(kind="console")],
        )
        for n in range(10_000)
    ]
    index = SubscriptionIndex(subs)
    item = ClassifiedItem(
        item=NewsItem(
            id="0" * 32,
            feed_id="f",
            feed_url="https://f.example/",
            source="F",
            title="t",
            published_at=NOW,
            fetched_at=NOW,
        ),
        tags=[TagHit(tag="strike", confidence=0.9), TagHit(tag="sanctions", confidence=0.8)],
        classifier_version="bench",
    )
    per_item = _timed(lambda: index.match(item), 200)
    return [Row("match one item, 10k subscriptions", per_item * 1000, "ms", 1, "<=")]


__all__ = ["Row", "bench_classifier", "bench_classify_command", "bench_matching", "bench_parsing"]
