from datetime import UTC, datetime

from newswatch.fetcher.dedupe import Published, select_changes
from newswatch.shared.contracts import NewsItem

NOW = datetime(2025, 9, 2, tzinfo=UTC)


def item(id_: str, content_hash: str) -> NewsItem:
    return NewsItem(
        id=id_ * 32,
        feed_id="f",
        feed_url="https://f.example/",
        source="F",
        title="t",
        published_at=NOW,
        fetched_at=NOW,
        content_hash=content_hash,
    )


def test_unseen_items_are_published_as_revision_one():
    assert [i.revision for i in select_changes([item("a", "h1")], {})] == [1]


def test_items_published_before_and_unchanged_are_dropped():
    assert select_changes([item("a", "h1")], {"a" * 32: Published(1, "h1")}) == []


def test_a_corrected_item_is_published_again_with_the_next_revision_and_same_id():
    (update,) = select_changes([item("a", "h2")], {"a" * 32: Published(3, "h1")})
    assert update.id == "a" * 32 and update.revision == 4


def test_published_state_round_trips_through_its_encoding():
    assert Published.decode(Published(2, "abc").encode()) == Published(2, "abc")
