"""One story per real-world event: near-duplicate reports grouped, pure and in memory.

A report joins the best-scoring recent story that shares a tag. The score adds
title-word overlap to agreements on facts (the same city, death toll, amount,
actors) and subtracts disagreements (two different cities, two amounts), so
"23 killed in Kyiv" from three outlets is one story while a strike on Kharkiv
the same hour is another. Stories are open for ``window`` after their first
report; later reports start a new story. Only stories sharing a telling feature
(a place, a title word, a toll, an amount, an actor) are scored, so the cost per
report stays flat with thousands of stories open; reports sharing only words
that half the open stories have ("russian", "ukraine") are not compared.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newswatch.shared.contracts import ClassifiedItem, Story

COMMON_FEATURE = 1000  # open stories sharing a feature before it stops narrowing anything
MAX_LISTED = 50  # item ids and sources kept on a story; report_count counts them all
_WORD = re.compile(r"\w+")
_STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "after",
        "over",
        "into",
        "amid",
        "says",
        "said",
        "say",
        "that",
        "this",
        "than",
        "have",
        "has",
        "had",
        "were",
        "was",
        "are",
        "its",
        "their",
        "his",
        "her",
        "they",
        "them",
        "who",
        "what",
        "when",
        "where",
        "will",
        "would",
        "could",
        "new",
        "more",
        "most",
        "least",
        "about",
        "against",
        "near",
        "says",
        "les",
        "des",
        "une",
        "pour",
        "avec",
        "dans",
        "sur",
        "der",
        "die",
        "das",
        "und",
        "mit",
        "nach",
        "von",
        "den",
        "del",
        "las",
        "los",
        "por",
        "para",
        "con",
        "una",
        "que",
    ]
)


def title_words(title: str) -> frozenset[str]:
    words = set()
    for word in _WORD.findall(title.lower()):
        if word.isdigit() or (len(word) >= 3 and word not in _STOPWORDS):
            # A crude plural fold: "strikes"/"strike", "sanctions"/"sanction".
            words.add(word[:-1] if len(word) > 4 and word.endswith("s") else word)
    return frozenset(words)


def features(signature: "Signature") -> set[str]:
    return {
        *(f"p:{p}" for p in signature.places),
        *(f"w:{w}" for w in signature.words),
        *(f"k:{k}" for k in signature.killed),
        *(f"m:{m}" for m in signature.money),
        *(f"a:{a}" for a in signature.actors),
    }


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


@dataclass(slots=True)
class Signature:
    """What a report or a story says, reduced to what near-duplicates share."""

    tags: set[str]
    words: frozenset[str]
    countries: set[str]
    places: set[str]  # cities and regions, lower case
    killed: set[int]
    money: set[int]
    actors: set[str]

    @classmethod
    def of(cls, item: ClassifiedItem) -> "Signature":
        facts = item.facts
        return cls(
            tags=set(item.tag_names),
            words=title_words(item.item.title),
            countries={p.country_code for p in facts.places if p.country_code},
            places={p.name.lower() for p in facts.places if p.kind != "country"},
            killed={c.count for c in facts.casualties if c.kind == "killed"},
            money={round(m.value) for m in facts.money},
            actors={a.name.lower() for a in facts.actors if a.role},
        )

    def to_dict(self) -> dict[str, list[Any]]:
        return {name: sorted(getattr(self, name)) for name in self.__slots__}

    @classmethod
    def from_dict(cls, data: dict[str, list[Any]]) -> "Signature":
        sets: dict[str, Any] = {name: set(data.get(name, ())) for name in cls.__slots__}
        sets["words"] = frozenset(sets["words"])
        return cls(**sets)

    def absorb(self, other: "Signature") -> None:
        self.tags |= other.tags
        self.words |= other.words
        self.countries |= other.countries
        self.places |= other.places
        self.killed |= other.killed
        self.money |= other.money
        self.actors |= other.actors


def similarity(report: Signature, story: Signature) -> float:
    """Above ``StoryBook.threshold`` the report is about the story's event."""
    if not report.tags & story.tags:
        return 0.0
    if report.countries and story.countries and not report.countries & story.countries:
        return 0.0
    score = dice(report.words, story.words)
    if report.countries & story.countries:
        score += 0.15
    if report.places and story.places:
        # Two different cities are two events, however alike the headlines.
        score += 0.35 if report.places & story.places else -1.0
    if report.killed and story.killed:
        # Tolls rise as reports come in: a higher count is a mild sign for, a lower one against.
        if report.killed & story.killed:
            score += 0.35
        else:
            score += 0.1 if max(report.killed) > max(story.killed) else -0.15
    if report.money and story.money:
        score += 0.4 if report.money & story.money else -0.3
    score += min(0.2, 0.1 * len(report.actors & story.actors))
    return score


@dataclass(slots=True)
class _Open:
    story: Story
    signature: Signature
    closes_at: datetime


@dataclass(frozen=True, slots=True)
class Assignment:
    story: Story
    is_new_story: bool
    is_new_report: bool  # False for a revision of a report already folded in
    new_tags: frozenset[str] = frozenset()  # tags this report brought to the story (all, if new)
    # (tag, story id): another open story this report also matches that carries the tag. A
    # report of two events ("EU summons envoy after blast hits its Kyiv office") joins one
    # story; its other tag is still the other story's news, told or not told already.
    covered: frozenset[tuple[str, str]] = frozenset()


@dataclass
class StoryBook:
    window: timedelta = timedelta(hours=6)
    threshold: float = 0.5
    _open: dict[str, _Open] = field(default_factory=dict)
    # Inverted index from a feature (place, title word, toll, amount, actor) to the open
    # stories that have it: a report is scored only against stories it shares one with.
    _postings: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _story_of_item: dict[str, str] = field(default_factory=dict)
    _swept_to: datetime | None = None

    def __len__(self) -> int:
        return len(self._open)

    def signature(self, story_id: str) -> Signature:
        return self._open[story_id].signature

    def assign(self, item: ClassifiedItem) -> Assignment:
        news = item.item
        known = self._story_of_item.get(news.id)
        if known and known in self._open:
            return Assignment(self._open[known].story, False, False)
        when = news.published_at
        self._close_before(when - self.window)
        signature = Signature.of(item)
        best, best_score = None, self.threshold
        matching: list[_Open] = []
        for story_id in self._candidates(signature):
            candidate = self._open[story_id]
            if candidate.story.first_seen <= when <= candidate.closes_at:
                score = similarity(signature, candidate.signature)
                if score >= self.threshold:
                    matching.append(candidate)
                if score >= best_score:
                    best, best_score = candidate, score
        covered = frozenset(
            (tag, other.story.id)
            for other in matching
            if other is not best
            for tag in signature.tags & other.signature.tags
        )
        if best is None:
            story = Story(
                id=news.id,
                tags=sorted(signature.tags),
                title=news.title,
                link=news.link,
                countries=sorted(signature.countries),
                places=sorted({p.name for p in item.facts.places if p.kind != "country"}),
                first_seen=when,
                last_seen=when,
                item_ids=[news.id],
                sources=[news.source],
                report_count=1,
                latest_item_id=news.id,
            )
            self.remember(story, signature)
            return Assignment(story, True, True, frozenset(signature.tags), covered)
        new_tags = frozenset(signature.tags - best.signature.tags)
        best.signature.absorb(signature)
        story = best.story
        story.tags = sorted(set(story.tags) | signature.tags)
        story.countries = sorted(set(story.countries) | signature.countries)
        story.last_seen = max(story.last_seen, when)
        story.report_count += 1
        story.latest_item_id = news.id
        if len(story.item_ids) < MAX_LISTED:
            story.item_ids.append(news.id)
        if news.source not in story.sources and len(story.sources) < MAX_LISTED:
            story.sources.append(news.source)
        self._post(story.id, signature)
        self._story_of_item[news.id] = story.id
        return Assignment(story, False, True, new_tags, covered)

    def remember(self, story: Story, signature: Signature) -> None:
        """Open a story: a new one, or one reloaded after a restart."""
        self._open[story.id] = _Open(story, signature, story.first_seen + self.window)
        self._post(story.id, signature)
        for item_id in story.item_ids:
            self._story_of_item[item_id] = story.id

    def _post(self, story_id: str, signature: Signature) -> None:
        for feature in features(signature):
            self._postings[feature].add(story_id)

    def _candidates(self, signature: Signature) -> set[str]:
        found: set[str] = set()
        for feature in features(signature):
            stories = self._postings.get(feature)
            # A feature half the open stories share ("russian", "ukraine") tells nothing.
            if stories and len(stories) <= COMMON_FEATURE:
                found |= stories
        return found

    def _close_before(self, horizon: datetime) -> None:
        if self._swept_to is not None and horizon - self._swept_to < timedelta(minutes=1):
            return  # a sweep walks every open story: once a minute of news time is enough
        self._swept_to = horizon
        # Kept open one more window past closing, so late revisions still find their story.
        for story_id in [s for s, o in self._open.items() if o.closes_at < horizon - self.window]:
            closed = self._open.pop(story_id)
            for feature in features(closed.signature):
                self._postings[feature].discard(story_id)
            for item_id in closed.story.item_ids:
                self._story_of_item.pop(item_id, None)
