"""What the console shows, computed from stories and their reports. Pure: no I/O.

A :class:`StoryFilter` comes from the page's query string (so a filtered view is a link
that can be shared) and decides which stories a page and a live stream show; a
:class:`StoryView` is one story as a card or a page: tags with their best confidence, the
lead report's text with its evidence marked, facts, sources, and the reports' timeline
with the tags each one brought.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from newswatch.alerter.alert import describe_facts, reported_by
from newswatch.shared.contracts import ClassifiedItem, Facts, Story

PAGE_SIZE = 30  # stories per page: enough for a shift's glance, light enough for a phone
SUMMARY_SHOWN = 600  # characters of a summary on a card; evidence beyond it is still listed
REPORTS_ON_CARD = 5  # each card lists this many reports' headlines; the story page lists all


def _split(values: Sequence[str]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def _moment(value: str) -> datetime | None:
    """A ``datetime-local`` value (or ISO 8601); no zone means UTC, as everywhere in newswatch."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class StoryFilter:
    tags: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""
    offset: int = 0

    @classmethod
    def from_query(cls, query: Mapping[str, Sequence[str]]) -> "StoryFilter":
        def one(name: str) -> str:
            values = query.get(name) or [""]
            return values[0][:200]

        offset = one("offset")
        return cls(
            tags=tuple(t.lower() for t in _split(query.get("tag", []))),
            countries=tuple(c.upper() for c in _split(query.get("country", []))),
            languages=tuple(c.lower() for c in _split(query.get("lang", []))),
            sources=tuple(s.lower() for s in _split(query.get("source", []))),
            since=_moment(one("since")) if one("since") else None,
            until=_moment(one("until")) if one("until") else None,
            text=one("q").strip(),
            offset=min(int(offset), 100_000) if offset.isdigit() else 0,
        )

    def query(self, **changes: object) -> str:
        """This filter as a query string (``changes`` override, e.g. ``offset=30``)."""
        pairs: list[tuple[str, str]] = [("tag", t) for t in self.tags]
        for name, values in (
            ("country", self.countries),
            ("lang", self.languages),
            ("source", self.sources),
        ):
            if values:
                pairs.append((name, ",".join(values)))
        for name, moment in (("since", self.since), ("until", self.until)):
            if moment:
                pairs.append((name, moment.strftime("%Y-%m-%dT%H:%M")))
        if self.text:
            pairs.append(("q", self.text))
        offset = changes.get("offset", self.offset)
        if offset:
            pairs.append(("offset", str(offset)))
        return urlencode(pairs)

    @property
    def active(self) -> bool:
        return bool(self.query(offset=0))

    @property
    def needs_reports(self) -> bool:
        """Language and free text are about the reports, not the story record."""
        return bool(self.languages or self.text)

    def admits_story(self, story: Story) -> bool:
        if self.tags and not set(self.tags) & set(story.tags):
            return False
        if self.countries and not set(self.countries) & set(story.countries):
            return False
        if self.sources and not set(self.sources) & {s.lower() for s in story.sources}:
            return False
        if self.since and story.last_seen < self.since:
            return False
        return not (self.until and story.first_seen > self.until)

    def admits_reports(self, story: Story, reports: Sequence[ClassifiedItem]) -> bool:
        if self.languages and not {r.item.language for r in reports} & set(self.languages):
            return False
        if self.text:
            needle = self.text.casefold()
            texts = [story.title, *(f"{r.item.title}\n{r.item.summary}" for r in reports)]
            return any(needle in t.casefold() for t in texts)
        return True


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    tag: str | None = None  # the tag whose evidence this is; None for plain text


def highlight(text: str, spans: Sequence[tuple[int, int, str]]) -> list[Segment]:
    """``text`` cut into plain and evidence segments; overlapping spans merge (first tag wins)."""
    segments: list[Segment] = []
    at = 0
    for start, end, tag in sorted(spans):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            segments.append(Segment(text[at:start]))
        segments.append(Segment(text[start:end], tag))
        at = end
    if at < len(text):
        segments.append(Segment(text[at:]))
    return segments


def marked(report: ClassifiedItem, which: str, limit: int | None = None) -> list[Segment]:
    """A report's title or summary with its evidence marked (cut at ``limit`` characters)."""
    text = report.item.title if which == "title" else report.item.summary
    shown = text if limit is None or len(text) <= limit else text[:limit] + "…"
    spans = [
        (e.start, e.end, hit.tag)
        for hit in report.tags
        for e in hit.evidence
        if e.field == which and e.end <= len(text)
    ]
    return highlight(shown, spans)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    report: ClassifiedItem
    new_tags: tuple[str, ...]  # tags the story had not had before this report


def timeline(reports: Sequence[ClassifiedItem]) -> list[TimelineEntry]:
    """The reports in the order they were published, each with the tags it brought."""
    seen: set[str] = set()
    entries = []
    for report in sorted(reports, key=lambda r: r.item.published_at):
        new = tuple(t for t in report.tag_names if t not in seen)
        seen.update(report.tag_names)
        entries.append(TimelineEntry(report, new))
    return entries


def merged_facts(reports: Sequence[ClassifiedItem]) -> Facts:
    """Every report's facts, each fact once (reports of one event repeat each other)."""
    facts = Facts()
    for report in reports:
        for name in ("places", "actors", "casualties", "money", "weapons"):
            have: list = getattr(facts, name)
            for value in getattr(report.facts, name):
                if value not in have:
                    have.append(value)
    return facts


@dataclass
class StoryView:
    story: Story
    reports: list[ClassifiedItem] = field(default_factory=list)  # those still kept, first first

    @property
    def lead(self) -> ClassifiedItem | None:
        """The report the card quotes: the story's first, else the earliest one kept."""
        for report in self.reports:
            if report.item.id == self.story.id:
                return report
        return self.reports[0] if self.reports else None

    @property
    def confidences(self) -> list[tuple[str, float | None]]:
        """Each of the story's tags with the best confidence any kept report gave it."""
        best: dict[str, float] = {}
        for report in self.reports:
            for hit in report.tags:
                best[hit.tag] = max(best.get(hit.tag, 0.0), hit.confidence)
        return [(tag, best.get(tag)) for tag in self.story.tags]

    @property
    def fact_lines(self) -> list[str]:
        return describe_facts(merged_facts(self.reports))

    @property
    def also_reported(self) -> str:
        return reported_by(self.story)

    @property
    def languages(self) -> list[str]:
        return sorted({r.item.language for r in self.reports if r.item.language})

    def title_segments(self) -> list[Segment]:
        lead = self.lead
        return marked(lead, "title") if lead else [Segment(self.story.title)]

    def summary_segments(self) -> list[Segment]:
        lead = self.lead
        return marked(lead, "summary", SUMMARY_SHOWN) if lead else []

    @property
    def card_reports(self) -> list[ClassifiedItem]:
        return self.reports[:REPORTS_ON_CARD]


@dataclass(frozen=True, slots=True)
class FeedRow:
    id: str
    name: str
    url: str
    state: str  # ok, failing, paused, new
    health: object  # FeedHealth, or None for a feed never polled


def feed_rows(specs: Sequence, health: Mapping[str, object]) -> list[FeedRow]:
    """``feeds status`` as rows: failing feeds first (most failures first), then the rest."""
    rows = []
    for spec in specs:
        h = health.get(spec.id)
        failures = getattr(h, "consecutive_failures", 0)
        state = (
            "paused" if spec.paused else ("new" if h is None else "failing" if failures else "ok")
        )
        rows.append(FeedRow(spec.id, spec.name, spec.url, state, h))
    order = {"failing": 0, "new": 1, "ok": 2, "paused": 3}
    return sorted(
        rows,
        key=lambda r: (order[r.state], -getattr(r.health, "consecutive_failures", 0), r.id),
    )
