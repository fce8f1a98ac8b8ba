from datetime import datetime

import pytest
from pydantic import ValidationError

from newswatch.shared.contracts import NewsItem
from newswatch.shared.schemas import SCHEMA_DIR, stale_schemas
from newswatch.shared.topics import Topics
from tests.factories import classified, news_item


def test_messages_round_trip_through_json():
    item = classified(1)
    assert type(item).model_validate_json(item.to_json_bytes()) == item


def test_a_minor_version_with_unknown_fields_is_still_read():
    raw = news_item().model_dump(mode="json") | {"schema_version": "1.7", "sentiment": "grim"}
    assert NewsItem.model_validate(raw).schema_version == "1.7"


def test_naive_datetimes_are_read_as_utc():
    item = news_item(published_at=datetime(2025, 1, 1, 12, 0))
    assert item.published_at.utcoffset().total_seconds() == 0


def test_item_ids_must_be_the_hash_form():
    with pytest.raises(ValidationError):
        news_item(id="not-a-hash")


def test_committed_json_schemas_match_the_models():
    assert stale_schemas() == [], "run `make schemas` and commit shared/schemas/"
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.json")) == [
        "classified_item.v1.json",
        "dead_letter.v1.json",
        "delivery.v1.json",
        "feedback.v1.json",
        "news_item.v1.json",
        "story.v1.json",
        "subscription.v1.json",
    ]


def test_topic_names_carry_the_major_version_and_refuse_odd_tags():
    topics = Topics("newswatch")
    assert topics.items == "newswatch.items.v1"
    assert topics.tag("arms_approval") == "newswatch.classified.arms_approval.v1"
    assert topics.dead_letter("items") == "newswatch.deadletter.items.v1"
    assert topics.feedback == "newswatch.feedback.v1"
    assert topics.feedback in topics.pipeline([])
    with pytest.raises(ValueError):
        topics.tag("Strike!")


def test_a_contract_goes_on_the_wire_as_pydantic_writes_it_in_utf_8() -> None:
    item = news_item(1, title="Нічна атака дронів на Київ — «тривога» до ранку")
    wire = item.to_json_bytes()
    assert wire == item.model_dump_json().encode("utf-8")
    assert "«тривога»".encode() in wire  # not escaped to \\u sequences
