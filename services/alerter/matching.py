"""Which subscriptions want a classified item: pure, indexed.

Each filter dimension (tag, country, source, language, keyword) is an inverted
index from value to the set of subscription numbers that name it, plus the set
that does not restrict that dimension. Matching an item is a handful of set
unions and intersections in C; only the survivors are checked one by one, for
the per-subscription confidence threshold and all-of tags.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import ahocorasick

from newswatch.shared.contracts import ClassifiedItem, Subscription, TagHit

Match = tuple[Subscription, list[TagHit]]


class _Dimension:
    """One filter dimension: ``narrow`` keeps the candidates that accept any of the item's values."""

    def __init__(self, subs: list[Subscription], values_of: Callable[[Subscription], list[str]]):
        self.unrestricted: set[int] = set()
        self.by_value: dict[str, set[int]] = defaultdict(set)
        for n, sub in enumerate(subs):
            values = values_of(sub)
            if not values:
                self.unrestricted.add(n)
            for value in values:
                self.by_value[value].add(n)

    def narrow(self, candidates: set[int], values: Iterable[str]) -> set[int]:
        if not self.by_value:
            return candidates
        kept = candidates & self.unrestricted
        for value in values:
            wanted = self.by_value.get(value)
            if wanted:
                kept |= candidates & wanted
        return kept


class KeywordFinder:
    """Which of many keywords (words or phrases) occur as whole words in a text, in one pass."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for keyword in set(keywords):
            self._automaton.add_word(keyword, keyword)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def find(self, text: str) -> set[str]:
        if self._empty:
            return set()
        text = text.lower()
        found = set()
        for end, keyword in self._automaton.iter(text):
            start = end - len(keyword) + 1
            before = text[start - 1] if start > 0 else " "
            after = text[end + 1] if end + 1 < len(text) else " "
            if not before.isalnum() and not after.isalnum():
                found.add(keyword)
        return found


class SubscriptionIndex:
    def __init__(self, subscriptions: Iterable[Subscription] = ()) -> None:
        self._subs = [s for s in subscriptions if s.enabled]
        self.size = len(self._subs)
        # The first cut is by (tag, country) together: the two filters nearly every
        # subscription sets, so the first candidate set is already small.
        self._by_tag_country: dict[tuple[str, str], set[int]] = defaultdict(set)
        shape_ids: dict[tuple[Any, ...], int] = {}
        self._shape_of: list[int] = []
        for n, sub in enumerate(self._subs):
            # Reached through its any-of tags, else its first all-of tag: every match needs it.
            for tag in sub.tags or sub.all_tags[:1]:
                for country in sub.countries or [_ANY]:
                    self._by_tag_country[tag, country].add(n)
            shape = (tuple(sub.tags), tuple(sub.all_tags), sub.min_confidence)
            self._shape_of.append(shape_ids.setdefault(shape, len(shape_ids)))
        self._shapes = list(shape_ids)
        # Only shapes reachable through an item's tags can match it: decide just those.
        self._shapes_by_tag: dict[str, list[int]] = defaultdict(list)
        for shape, shape_id in shape_ids.items():
            any_tags, all_tags, _ = shape
            for tag in any_tags or all_tags[:1]:
                self._shapes_by_tag[tag].append(shape_id)
        self._sources = _Dimension(self._subs, lambda s: s.sources)
        self._languages = _Dimension(self._subs, lambda s: s.languages)
        self._keywords = _Dimension(self._subs, lambda s: s.keywords)
        self._excluded_by: dict[str, set[int]] = defaultdict(set)
        for n, sub in enumerate(self._subs):
            for word in sub.exclude_keywords:
                self._excluded_by[word].add(n)
        self._finder = KeywordFinder([*self._keywords.by_value, *self._excluded_by])

    def match(self, item: ClassifiedItem) -> list[Match]:
        hits = {hit.tag: hit for hit in item.tags}
        countries = [_ANY, *{p.country_code for p in item.facts.places if p.country_code}]
        candidates: set[int] = set()
        for tag in hits:
            for country in countries:
                candidates |= self._by_tag_country.get((tag, country), _NONE)
        if not candidates:
            return []
        news = item.item
        candidates = self._sources.narrow(candidates, (news.source.lower(), news.feed_id.lower()))
        candidates = self._languages.narrow(candidates, (news.language or "",))
        if candidates and (self._keywords.by_value or self._excluded_by):
            words = self._finder.find(f"{news.title}\n{news.summary}")
            candidates = self._keywords.narrow(candidates, words)
            for word in words:
                candidates -= self._excluded_by.get(word, _NONE)
        # Subscriptions share a few shapes (tags, all-of tags, floor): decide each shape once.
        decided: list[list[TagHit] | None] = [None] * len(self._shapes)
        for tag in hits:
            for shape_id in self._shapes_by_tag.get(tag, ()):
                decided[shape_id] = _decide(self._shapes[shape_id], hits)
        shape_of, subs = self._shape_of, self._subs
        return [
            (subs[n], qualifying)
            for n in sorted(candidates)
            if (qualifying := decided[shape_of[n]]) is not None
        ]


_ANY = ""
_NONE: frozenset[int] = frozenset()


def _decide(shape: tuple[Any, ...], hits: dict[str, TagHit]) -> list[TagHit] | None:
    """The hits a subscription of this shape alerts on, or None when it does not match."""
    any_tags, all_tags, floor = shape
    if any(t not in hits or hits[t].confidence < floor for t in all_tags):
        return None
    wanted = dict.fromkeys((*any_tags, *all_tags))
    qualifying = [hits[t] for t in wanted if t in hits and hits[t].confidence >= floor]
    if any_tags and not any(h.tag in any_tags for h in qualifying):
        return None
    return qualifying
