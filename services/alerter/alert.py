"""What a subscriber receives: an alert about one story, or a digest of several. Pure,
shared by all channels; each channel only renders these."""

from dataclasses import dataclass, field
from datetime import datetime

from newswatch.shared.contracts import ClassifiedItem, Facts, Story, TagHit

_QUALIFIER_WORDS = {
    "at_least": "at least ",
    "more_than": "over ",
    "about": "about ",
    "up_to": "up to ",
}


@dataclass(frozen=True, slots=True)
class Alert:
    delivery_id: str
    subscription_id: str
    item: ClassifiedItem
    hits: list[TagHit]  # the tags this subscription asked for
    story: Story | None = None
    # (tag, URL) of each tag's one-click "False alarm" link; empty when links are off.
    feedback_links: tuple[tuple[str, str], ...] = ()

    @property
    def story_id(self) -> str:
        return self.story.id if self.story else self.item.item.id

    @property
    def reported_by(self) -> str:
        return reported_by(self.story)

    @property
    def title(self) -> str:
        return self.item.item.title

    @property
    def link(self) -> str | None:
        return self.item.item.link

    @property
    def source(self) -> str:
        return self.item.item.source

    @property
    def published_at(self) -> datetime:
        return self.item.item.published_at

    @property
    def tag_line(self) -> str:
        return tag_line(self.hits)

    @property
    def fact_lines(self) -> list[str]:
        return describe_facts(self.item.facts)

    @property
    def evidence(self) -> list[str]:
        """Up to three distinct quoted spans, strongest tags first."""
        quotes: list[str] = []
        for hit in sorted(self.hits, key=lambda h: -h.confidence):
            for e in hit.evidence:
                if e.text not in quotes:
                    quotes.append(e.text)
        return quotes[:3]


@dataclass(frozen=True, slots=True)
class DigestEntry:
    story: Story
    item: ClassifiedItem  # the report that put the story in the digest
    hits: list[TagHit]
    update: bool  # a story this subscriber was already alerted to: new reports only
    # (tag, URL) of each tag's one-click "False alarm" link, as on an alert; empty when off.
    feedback_links: tuple[tuple[str, str], ...] = ()

    @property
    def tag_line(self) -> str:
        return tag_line(self.hits)

    @property
    def reported_by(self) -> str:
        return reported_by(self.story)

    @property
    def title(self) -> str:
        """The report's own headline: an update says what is new, not the story's first title."""
        return self.item.item.title

    @property
    def link(self) -> str | None:
        return self.item.item.link or self.story.link


@dataclass(frozen=True, slots=True)
class Digest:
    delivery_id: str
    subscription_id: str
    entries: list[DigestEntry] = field(default_factory=list)

    @property
    def title(self) -> str:
        new = sum(1 for e in self.entries if not e.update)
        updates = len(self.entries) - new
        parts = [f"{new} new stor{'y' if new == 1 else 'ies'}"] if new else []
        if updates:
            parts.append(f"{updates} update{'s' if updates > 1 else ''}")
        return "newswatch digest: " + ", ".join(parts)


Notice = Alert | Digest


def tag_line(hits: list[TagHit]) -> str:
    return ", ".join(f"{h.tag} ({h.confidence:.0%})" for h in hits)


def reported_by(story: Story | None) -> str:
    """'also reported by N sources' when outlets other than the first reported the story."""
    others = len(story.sources) - 1 if story else 0
    if others <= 0:
        return ""
    return f"also reported by {others} source{'s' if others > 1 else ''}"


def describe_facts(facts: Facts) -> list[str]:
    lines = []
    if facts.places:
        lines.append(
            "Places: "
            + ", ".join(
                f"{p.name} ({p.country_code})" if p.country_code else p.name
                for p in facts.places[:6]
            )
        )
    if facts.casualties:
        lines.append(
            "Casualties: "
            + ", ".join(
                f"{_QUALIFIER_WORDS.get(c.qualifier, '')}{c.count} {c.kind}"
                for c in facts.casualties
            )
        )
    if facts.money:
        lines.append(
            "Amounts: "
            + ", ".join(
                f"{_QUALIFIER_WORDS.get(m.qualifier, '')}{_money(m.value)} {m.currency}"
                for m in facts.money
            )
        )
    roled = [a for a in facts.actors if a.role]
    if roled:
        lines.append("Actors: " + ", ".join(f"{a.name} ({a.role})" for a in roled[:6]))
    if facts.weapons:
        lines.append("Weapons: " + ", ".join(facts.weapons))
    return lines


def _money(value: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{value / size:g} {word}"
    return f"{value:,.0f}"


def false_alarm_lines(links: tuple[tuple[str, str], ...], indent: str = "") -> list[str]:
    return [f"{indent}False alarm ({tag})? {url}" for tag, url in links]


def render_text(notice: Notice, *, feedback: bool = False) -> str:
    """Plain text of a notice: the console, email's text part and Apprise all show this;
    ``feedback``: with the "False alarm" links (email's text part)."""
    if isinstance(notice, Digest):
        lines = [notice.title, ""]
        for entry in notice.entries:
            item = entry.item.item
            lines.append(f"{'Update: ' if entry.update else ''}{entry.title}")
            lines.append(
                f"  [{entry.tag_line}] {item.source}"
                + (f" · {entry.reported_by}" if entry.reported_by else "")
            )
            if entry.link:
                lines.append(f"  {entry.link}")
            if feedback:
                lines += false_alarm_lines(entry.feedback_links, "  ")
        return "\n".join([*lines, "", f"-- newswatch subscription {notice.subscription_id}"])
    reported = f" · {notice.reported_by}" if notice.reported_by else ""
    return "\n".join(
        [
            f"[{notice.tag_line}] {notice.title}",
            f"{notice.source} · {notice.published_at:%Y-%m-%d %H:%M} UTC{reported}",
            notice.link or "no link",
            *notice.fact_lines,
            *(f'evidence: "{quote}"' for quote in notice.evidence),
            f"-- newswatch subscription {notice.subscription_id}",
            *(false_alarm_lines(notice.feedback_links) if feedback else []),
        ]
    )
