"""Stories for the console's tests, screenshots and benchmark, written as the alerter writes
them: each report grouped by the alerter's StoryBook and saved through its StoryStore.

The reports are hand-written for newswatch (no third-party text); evidence offsets are
found in the text they quote, as the classifier reports them.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from redis.asyncio import Redis

from newswatch.alerter.stories import StoryBook
from newswatch.alerter.story_store import StoryStore
from newswatch.shared.contracts import (
    Actor,
    Casualty,
    ClassifiedItem,
    Evidence,
    Facts,
    MoneyAmount,
    NewsItem,
    Place,
    Story,
    TagHit,
)
from newswatch.shared.contracts.base import utc_now


@dataclass
class Draft:
    """One report as a test describes it; ``evidence`` is (tag, field, quoted phrase)."""

    title: str
    tags: dict[str, float]
    evidence: list[tuple[str, str, str]]
    summary: str = ""
    source: str = "Watch Wire"
    language: str = "en"
    places: list[tuple[str, str, str]] = field(default_factory=list)  # name, country, kind
    actors: list[tuple[str, str]] = field(default_factory=list)  # name, role
    killed: int | None = None
    money: tuple[float, str] | None = None
    weapons: list[str] = field(default_factory=list)
    minutes_ago: float = 0.0


def report(draft: Draft, now: datetime | None = None) -> ClassifiedItem:
    now = now or utc_now()
    item_id = uuid.uuid4().hex
    when = now - timedelta(minutes=draft.minutes_ago)
    item = NewsItem(
        id=item_id,
        feed_id=draft.source.lower().replace(" ", "-"),
        feed_url=f"https://{draft.source.lower().replace(' ', '')}.example/rss",
        source=draft.source,
        title=draft.title,
        summary=draft.summary,
        link=f"https://{draft.source.lower().replace(' ', '')}.example/news/{item_id[:8]}",
        published_at=when,
        fetched_at=when,
        language=draft.language,
    )
    hits = []
    for tag, confidence in draft.tags.items():
        spans = []
        for ev_tag, where, phrase in draft.evidence:
            text = draft.title if where == "title" else draft.summary
            start = text.find(phrase)
            if ev_tag == tag and start >= 0:
                spans.append(
                    Evidence(
                        field=where,  # type: ignore[arg-type]
                        start=start,
                        end=start + len(phrase),
                        text=phrase,
                        rule=f"{tag}/seed",
                    )
                )
        hits.append(TagHit(tag=tag, confidence=confidence, evidence=spans))
    facts = Facts(
        places=[Place(name=n, country_code=c, kind=k) for n, c, k in draft.places],  # type: ignore[arg-type]
        actors=[Actor(name=n, role=r) for n, r in draft.actors],
        casualties=[Casualty(kind="killed", count=draft.killed)] if draft.killed else [],
        money=[MoneyAmount(value=draft.money[0], currency=draft.money[1])] if draft.money else [],
        weapons=draft.weapons,
    )
    return ClassifiedItem(item=item, tags=hits, facts=facts, classifier_version="seed")


async def write(
    redis: Redis, prefix: str, reports: list[ClassifiedItem], book: StoryBook | None = None
) -> list[Story]:
    """Group and save the reports as the alerter does; the stories as saved, in order."""
    book = book if book is not None else StoryBook()
    store = StoryStore(redis, prefix)
    saved = []
    pipe = store.pipeline()
    for item in reports:
        assignment = book.assign(item)
        if assignment.is_new_report:
            story = assignment.story
            store.save(pipe, story, book.signature(story.id), item)
            saved.append(story.model_copy(deep=True))
    await pipe.execute()
    return saved


KHARKIV = Draft(
    title="Drone strike on Kharkiv power station kills 3",
    summary="Officials said drones hit the station overnight; repair crews were at work by morning.",
    tags={"strike": 0.96},
    evidence=[("strike", "title", "Drone strike"), ("strike", "summary", "drones hit")],
    places=[("Kharkiv", "UA", "city")],
    actors=[("Russia", "attacker")],
    killed=3,
    weapons=["drone"],
    minutes_ago=30,
)
KHARKIV_FOLLOWUP = Draft(
    title="Kharkiv power station hit by drones, three dead",
    summary="Regional officials confirmed 3 killed after drones struck the Kharkiv plant.",
    tags={"strike": 0.9, "diplomatic_protest": 0.7},
    evidence=[("strike", "summary", "drones struck"), ("diplomatic_protest", "title", "hit")],
    source="Eastern Courier",
    places=[("Kharkiv", "UA", "city")],
    actors=[("Russia", "attacker")],
    killed=3,
    minutes_ago=20,
)
SANCTIONS = Draft(
    title="Council adopts new sanctions on shipping firms over oil cap evasion",
    summary="The measures freeze assets worth 40 million euros and ban port access.",
    tags={"sanctions": 0.93},
    evidence=[
        ("sanctions", "title", "adopts new sanctions"),
        ("sanctions", "summary", "freeze assets"),
    ],
    source="Capital Desk",
    places=[("Belgium", "BE", "country")],
    actors=[("EU", "sanctioning")],
    money=(40_000_000, "EUR"),
    minutes_ago=50,
)
PROTEST = Draft(
    title="Le Quai d'Orsay convoque l'ambassadeur après l'arrestation d'un humanitaire",
    summary="Paris a convoqué l'ambassadeur pour protester contre la détention.",
    tags={"diplomatic_protest": 0.88},
    evidence=[("diplomatic_protest", "title", "convoque l'ambassadeur")],
    source="Journal du Soir",
    language="fr",
    places=[("France", "FR", "country")],
    actors=[("France", "summoning")],
    minutes_ago=70,
)
ARMS = Draft(
    title="Bundesregierung genehmigt Export von Luftabwehrsystemen nach Polen",
    summary="Der Sicherheitsrat erteilte die Genehmigung am Dienstag.",
    tags={"arms_approval": 0.91},
    evidence=[("arms_approval", "title", "genehmigt Export")],
    source="Morgenblatt",
    language="de",
    places=[("Poland", "PL", "country")],
    actors=[("Germany", "approving")],
    weapons=["air defence system"],
    minutes_ago=90,
)
DEMO = [ARMS, PROTEST, SANCTIONS, KHARKIV, KHARKIV_FOLLOWUP]
