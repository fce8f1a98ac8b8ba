"""The alert a subscriber receives, built from a classified item: pure, shared by all channels."""

from dataclasses import dataclass
from datetime import datetime

from newswatch.shared.contracts import ClassifiedItem, Facts, TagHit

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
        return ", ".join(f"{h.tag} ({h.confidence:.0%})" for h in self.hits)

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
