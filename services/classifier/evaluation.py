"""`newswatch eval`: how the classifier does on a labelled set, per tag and overall.

Input: JSON lines ``{"id", "title", "summary", "tags": [...]}``, optional ``"lang"``.
Pure: the report is computed from (expected, predicted) pairs and rendered as text.
"""

import json
from collections.abc import Iterable
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
class Report:
    scores: dict[str, TagScore]
    untagged: int = 0
    untagged_false_alarms: int = 0
    misses: list[tuple[Outcome, str]] = field(default_factory=list)
    false_alarms: list[tuple[Outcome, str]] = field(default_factory=list)

    @property
    def macro_f1(self) -> float:
        scored = [s for s in self.scores.values() if s.support]
        return sum(s.f1 for s in scored) / len(scored) if scored else 0.0

    @property
    def untagged_false_positive_rate(self) -> float:
        return self.untagged_false_alarms / self.untagged if self.untagged else 0.0


def read_examples(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
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
        if not expected:
            report.untagged += 1
            report.untagged_false_alarms += bool(predicted & report.scores.keys())
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
    lines = [f"{'tag':22} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}"]
    for s in report.scores.values():
        lines.append(f"{s.tag:22} {s.precision:9.3f} {s.recall:7.3f} {s.f1:6.3f} {s.support:8d}")
    lines += [
        "",
        f"macro-F1: {report.macro_f1:.3f}",
        f"false-positive rate on untagged items: {report.untagged_false_positive_rate:.3%} "
        f"({report.untagged_false_alarms} of {report.untagged})",
    ]
    for title, pairs in (
        ("worst misses", report.misses),
        ("worst false alarms", report.false_alarms),
    ):
        lines += ["", f"{title} ({len(pairs)}):"]
        for outcome, tag in pairs[:worst]:
            ex = outcome.example
            lines.append(f"  {ex.id:8} {tag:20} {ex.title[:90]}")
    return "\n".join(lines)
