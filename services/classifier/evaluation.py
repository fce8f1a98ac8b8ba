"""`newswatch eval`: how the classifier does on a labelled set, per tag and overall.

Input: JSON lines ``{"id", "title", "summary", "tags": [...]}``, optional ``"lang"``;
items marked ``"ambiguous": true`` (the annotators disagreed) are left out. A split is
one such file or a folder of them. Pure: the report is computed from (expected,
predicted) pairs and rendered as text, per tag and per language.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from newswatch.classifier.classify import Classifier
from newswatch.shared.text import clean_text


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    title: str
    summary: str
    tags: frozenset[str]
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    example: Example
    predicted: frozenset[str]
    confidence: dict[str, float]


@dataclass(slots=True)
class TagScore:
    tag: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class LanguageScore:
    positives: int = 0  # (item, tag) pairs expected
    found: int = 0  # of those, predicted
    untagged: int = 0
    false_alarms: int = 0  # untagged items given any tag

    @property
    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.untagged if self.untagged else 0.0


@dataclass(slots=True)
class Report:
    scores: dict[str, TagScore]
    untagged: int = 0
    untagged_false_alarms: int = 0
    languages: dict[str, LanguageScore] = field(default_factory=dict)
    misses: list[tuple[Outcome, str]] = field(default_factory=list)
    false_alarms: list[tuple[Outcome, str]] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        scored = [s for s in self.scores.values() if s.support]
        return sum(s.f1 for s in scored) / len(scored) if scored else 0.0

    @property
    def untagged_false_positive_rate(self) -> float:
        return self.untagged_false_alarms / self.untagged if self.untagged else 0.0


def read_feed_labels(
    path: Path, texts: Mapping[tuple[str, str], tuple[str, str, str | None]]
) -> list[Example]:
    """The unambiguous examples of a labels file that names items instead of holding them.

    Each line is ``{"feed": <file>, "item": <item id>, "tags": [...]}``: the text is
    third-party (real feeds), so the repository keeps only the labels, and ``texts`` maps
    (feed file, item id) to the (title, summary, language) the fetcher made of it
    (``newswatch.fetcher.files.item_texts``). A label naming an item ``texts`` lacks is an
    error: the feeds, or the fetcher's reading of them, changed.
    """
    examples = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        raw = json.loads(line)
        text = texts.get((raw["feed"], raw["item"]))
        if text is None:
            raise ValueError(f"{path}: line {number}: no item {raw['item']} in {raw['feed']}")
        if not raw.get("ambiguous"):
            title, summary, language = text
            tags = frozenset(raw.get("tags") or ())
            examples.append(Example(raw["item"], title, summary, tags, language))
    return examples


def read_examples(path: Path) -> list[Example]:
    """The unambiguous examples of a JSON-lines file, or of every ``*.jsonl`` in a folder."""
    if path.is_dir():
        return [e for child in sorted(path.glob("*.jsonl")) for e in read_examples(child)]
    examples = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if raw.get("ambiguous"):
                continue
            examples.append(
                Example(
                    str(raw["id"]),
                    str(raw.get("title") or ""),
                    str(raw.get("summary") or ""),
                    frozenset(raw.get("tags") or ()),
                    raw.get("lang"),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: line {number}: not a labelled example: {exc}") from exc
    return examples


def run(classifier: Classifier, examples: Iterable[Example]) -> list[Outcome]:
    outcomes = []
    for ex in examples:
        result = classifier.classify(clean_text(ex.title), clean_text(ex.summary), ex.lang)
        outcomes.append(
            Outcome(
                ex,
                frozenset(h.tag for h in result.tags),
                {h.tag: h.confidence for h in result.tags},
            )
        )
    return outcomes


def score(outcomes: list[Outcome], tags: Iterable[str]) -> Report:
    report = Report({t: TagScore(t) for t in tags})
    for outcome in outcomes:
        expected, predicted = outcome.example.tags, outcome.predicted
        language = report.languages.setdefault(outcome.example.lang or "?", LanguageScore())
        known = expected & report.scores.keys()
        language.positives += len(known)
        language.found += len(known & predicted)
        if not expected:
            report.untagged += 1
            alarmed = bool(predicted & report.scores.keys())
            report.untagged_false_alarms += alarmed
            language.untagged += 1
            language.false_alarms += alarmed
        for tag, s in report.scores.items():
            if tag in expected and tag in predicted:
                s.tp += 1
            elif tag in predicted:
                s.fp += 1
                report.false_alarms.append((outcome, tag))
            elif tag in expected:
                s.fn += 1
                report.misses.append((outcome, tag))
    # Worst first: the most confident false alarms, then misses in list order.
    report.false_alarms.sort(key=lambda pair: -pair[0].confidence.get(pair[1], 0.0))
    return report


def render(report: Report, worst: int = 10) -> str:
    """The report as text; ``worst``: how many misses and false alarms to list by title
    (0: counts only)."""
    lines = [f"{'tag':22} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for s in report.scores.values():
        lines.append(f"{s.tag:22} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.support:8d}")
    lines += [
        "",
        f"macro-F1: {report.macro_f1:.3f}",
        f"false-positive rate on untagged items: {report.untagged_false_positive_rate:.3%} "
        f"({report.untagged_false_alarms} of {report.untagged})",
        "",
        f"{'language':10} {'recall':>7} {'tags':>5} {'false alarms':>13} {'untagged':>9}",
    ]
    for code, lang in sorted(report.languages.items(), key=lambda kv: -kv[1].positives):
        lines.append(
            f"{code:10} {lang.recall:7.3f} {lang.positives:5d} "
            f"{lang.false_alarm_rate:13.1%} {lang.untagged:9d}"
        )
    for title, pairs in (
        ("worst misses", report.misses),
        ("worst false alarms", report.false_alarms),
    ):
        lines += ["", f"{title} ({len(pairs)}){':' if worst else ''}"]
        for outcome, tag in pairs[:worst]:
            ex = outcome.example
            lines.append(f"  {ex.id:8} {tag:20} {ex.title[:90]}")
    return "\n".join(lines)
