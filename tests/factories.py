"""Builders of contract objects for tests: realistic defaults, override what matters."""

from datetime import UTC, datetime

from newswatch.shared.contracts import ClassifiedItem, Evidence, Facts, NewsItem, Place, TagHit

WHEN = datetime(2025, 9, 2, 6, 0, tzinfo=UTC)


def news_item(n: int = 1, **overrides: object) -> NewsItem:
    fields: dict[str, object] = dict(
        id=f"{n:032x}",
        feed_id="wire",
        feed_url="https://wire.example/rss",
        source="Wire",
        title=f"Missile strike hits Odesa port ({n})",
        summary="A Russian missile struck the port of Odesa, killing 4 people.",
        link=f"https://wire.example/story/{n}",
        published_at=WHEN,
        fetched_at=WHEN,
        language="en",
        content_hash=f"h{n}",
    )
    fields.update(overrides)
    return NewsItem.model_validate(fields)


def classified(
    n: int = 1, tags: dict[str, float] | None = None, **item_overrides: object
) -> ClassifiedItem:
    item = news_item(n, **item_overrides)
    hits = [
        TagHit(
            tag=tag,
            confidence=confidence,
            evidence=[
                Evidence(field="title", start=0, end=14, text=item.title[:14], rule=f"{tag}/test")
            ],
        )
        for tag, confidence in (tags if tags is not None else {"strike": 0.95}).items()
    ]
    return ClassifiedItem(
        item=item,
        tags=hits,
        classifier_version="test",
        facts=Facts(places=[Place(name="Odesa", country_code="UA", kind="city")]),
    )
