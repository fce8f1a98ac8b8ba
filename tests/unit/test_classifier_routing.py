from newswatch.classifier.classify import Classifier
from newswatch.classifier.routing import route_item
from newswatch.shared.contracts import ClassifiedItem
from newswatch.shared.topics import Topics
from tests.factories import news_item

TOPICS = Topics("nw")


def route(raw: bytes, classifier: Classifier | None = None):
    return route_item(
        raw,
        classifier or Classifier.default(),
        TOPICS,
        source_topic=TOPICS.items,
        partition=1,
        offset=7,
    )


def test_a_tagged_item_goes_to_the_combined_topic_and_each_tag_topic_keyed_by_id():
    item = news_item(title="Missile strike on Odesa; Ukraine summons Iranian ambassador")
    routed = route(item.to_json_bytes())
    assert [o.topic for o in routed.outgoing] == [
        "nw.classified.v1",
        "nw.classified.diplomatic_protest.v1",
        "nw.classified.strike.v1",
    ]
    assert all(o.key == item.id.encode() for o in routed.outgoing)
    assert ClassifiedItem.model_validate_json(routed.outgoing[0].value).item == item


def test_an_untagged_item_still_reaches_the_combined_topic():
    routed = route(
        news_item(title="Harbour festival opens", summary="Music all weekend.").to_json_bytes()
    )
    assert [o.topic for o in routed.outgoing] == ["nw.classified.v1"] and routed.tags == []


def test_unreadable_messages_become_dead_letters_with_their_position_and_payload():
    bad_json = route(b"\xff{").dead_letter
    assert bad_json is not None and bad_json.error_kind == "invalid_json"
    assert (bad_json.partition, bad_json.offset, bad_json.payload) == (1, 7, "\ufffd{")
    not_an_item = route(b'{"title": "no id"}').dead_letter
    assert not_an_item is not None and not_an_item.error_kind == "invalid_item"
    assert route(None).dead_letter is not None


def test_a_classifier_bug_dead_letters_the_item_instead_of_stopping_the_stream():
    class Broken(Classifier):
        def classify_item(self, item):
            raise RuntimeError("rule exploded")

    letter = route(news_item().to_json_bytes(), Broken([])).dead_letter
    assert (
        letter is not None
        and letter.error_kind == "classifier_error"
        and "rule exploded" in letter.error
    )


def test_a_future_major_schema_version_is_refused_not_misread():
    raw = news_item().model_dump(mode="json") | {"schema_version": "2.0"}
    letter = route(__import__("json").dumps(raw).encode()).dead_letter
    assert letter is not None and "not readable by this build" in letter.error
