"""`newswatch eval --feedback`: the precision officers actually see. Pure.

Per tag, over a window: the alerts delivered for it (one per team, item and tag, however
many destinations the team has) against the false alarms the team reported on those
alerts, accepted and pending counted apart (rejected reports are not false alarms);
and the tags officers said the classifier missed. Digests are not counted: a digest
record does not say which of its stories carried which tag.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from newswatch.shared.contracts import Feedback, FeedbackKind, FeedbackStatus

AlertKey = tuple[str, str, str]  # team, item id, tag


@dataclass(slots=True)
class TagPrecision:
    tag: str
    alerts: int = 0
    false_accepted: int = 0
    false_pending: int = 0
    false_rejected: int = 0
    missed_accepted: int = 0
    missed_pending: int = 0

    def precision(self, with_pending: bool = True) -> float | None:
        """Share of alerts not reported wrong; None without alerts."""
        if not self.alerts:
            return None
        wrong = self.false_accepted + (self.false_pending if with_pending else 0)
        return (self.alerts - wrong) / self.alerts


@dataclass(slots=True)
class PrecisionReport:
    tags: dict[str, TagPrecision]
    overall: TagPrecision
    unmatched: int = 0  # false alarms about no alert in the window (older, or in a digest)


def precision_report(
    alerts: Iterable[AlertKey], feedback: Iterable[Feedback], tags: Iterable[str]
) -> PrecisionReport:
    """``alerts``: what was delivered in the window; ``feedback``: what was reported in it."""
    seen = set(alerts)
    report = PrecisionReport({t: TagPrecision(t) for t in sorted(tags)}, TagPrecision("overall"))
    for _, _, tag in seen:
        report.tags.setdefault(tag, TagPrecision(tag)).alerts += 1
    for record in feedback:
        line = report.tags.setdefault(record.tag, TagPrecision(record.tag))
        if record.kind is FeedbackKind.MISSED_TAG:
            if record.status is FeedbackStatus.ACCEPTED:
                line.missed_accepted += 1
            elif record.status is FeedbackStatus.PENDING:
                line.missed_pending += 1
            continue
        if (record.team, record.item_id, record.tag) not in seen:
            report.unmatched += 1
        elif record.status is FeedbackStatus.ACCEPTED:
            line.false_accepted += 1
        elif record.status is FeedbackStatus.PENDING:
            line.false_pending += 1
        else:
            line.false_rejected += 1
    total = report.overall
    for line in report.tags.values():
        total.alerts += line.alerts
        total.false_accepted += line.false_accepted
        total.false_pending += line.false_pending
        total.false_rejected += line.false_rejected
        total.missed_accepted += line.missed_accepted
        total.missed_pending += line.missed_pending
    return report


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render(report: PrecisionReport, days: float) -> str:
    head = (
        f"{'tag':22} {'alerts':>6} {'false alarms':>20} {'precision':>18} {'missed':>16}\n"
        f"{'':22} {'':>6} {'accepted pending':>20} {'seen  if accepted':>18} "
        f"{'accepted pending':>16}"
    )
    lines = [f"precision officers see, last {days:g} days (alerts, not digests)", "", head]
    for line in [*report.tags.values(), report.overall]:
        lines.append(
            f"{line.tag:22} {line.alerts:6d} {line.false_accepted:11d} {line.false_pending:8d} "
            f"{_share(line.precision()):>9} {_share(line.precision(False)):>8} "
            f"{line.missed_accepted:9d} {line.missed_pending:8d}"
        )
    lines.append("")
    lines.append(
        "seen: accepted and pending false alarms count as wrong; if accepted: only accepted"
    )
    if report.unmatched:
        lines.append(
            f"{report.unmatched} false alarm(s) about no alert in the window (older, or in a "
            "digest) are not counted"
        )
    return "\n".join(lines)
