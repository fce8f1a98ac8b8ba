"""Reviewed feedback as labelled examples for ``newswatch train --data``. Pure.

One example per item (JSON lines ``{"id", "title", "summary", "tags", "lang"}``, id
``fb-<item id>``): the tags the classifier gave it, without the false alarms and with
the missed tags that were reported on it. Items newswatch kept no text of are left
out, and so are items whose reports contradict each other (one tag both a false alarm
and missed), since neither label can be trusted.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from newswatch.shared.contracts import Feedback, FeedbackKind, ItemSnapshot


@dataclass(slots=True)
class Export:
    rows: list[dict[str, object]] = field(default_factory=list)
    without_text: list[str] = field(default_factory=list)  # item ids
    contradicted: list[str] = field(default_factory=list)  # item ids

    def jsonl(self) -> str:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in self.rows)


def _fullest(snapshots: list[ItemSnapshot]) -> ItemSnapshot:
    return max(snapshots, key=lambda s: (bool(s.title), len(s.summary), len(s.tags)))


def training_rows(feedback: Iterable[Feedback]) -> Export:
    by_item: dict[str, list[Feedback]] = {}
    for record in sorted(feedback, key=lambda f: f.created_at):
        by_item.setdefault(record.item_id, []).append(record)
    export = Export()
    for item_id, records in by_item.items():
        snapshot = _fullest([r.item for r in records])
        if not (snapshot.title or snapshot.summary):
            export.without_text.append(item_id)
            continue
        wrong = {r.tag for r in records if r.kind is FeedbackKind.FALSE_ALARM}
        missed = {r.tag for r in records if r.kind is FeedbackKind.MISSED_TAG}
        if wrong & missed:
            export.contradicted.append(item_id)
            continue
        export.rows.append(
            {
                "id": f"fb-{item_id}",
                "title": snapshot.title,
                "summary": snapshot.summary,
                "tags": sorted((set(snapshot.tags) - wrong) | missed),
                "lang": snapshot.language,
            }
        )
    return export
