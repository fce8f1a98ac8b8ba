"""The blind labels of the real feed items name items the fetcher still reads, and the
classifier keeps its floors on them (tests/data/classifier/real_feeds/README.md)."""

import json
from pathlib import Path

import pytest

from newswatch.classifier.classify import Classifier
from newswatch.classifier.evaluation import Example, read_feed_labels, run, score
from newswatch.fetcher.files import item_texts
from tests.conftest import shared_path

LABELS = Path(__file__).resolve().parents[1] / "data" / "classifier" / "real_feeds" / "labels.jsonl"
TAGS = ["strike", "diplomatic_protest", "sanctions", "arms_approval"]


def test_a_label_names_an_item_and_the_text_comes_from_elsewhere(tmp_path):
    labels = tmp_path / "labels.jsonl"
    lines = [
        {"feed": "a.xml", "item": "i1", "tags": ["strike"]},
        {"feed": "a.xml", "item": "i2", "tags": [], "ambiguous": True},
    ]
    labels.write_text("".join(json.dumps(line) + "\n" for line in lines))
    texts = {("a.xml", "i1"): ("Drone strike", "", "en"), ("a.xml", "i2"): ("?", "", None)}
    expected = [Example("i1", "Drone strike", "", frozenset({"strike"}), "en")]
    assert read_feed_labels(labels, texts) == expected
    with pytest.raises(ValueError, match=r"no item i1 in a\.xml"):
        read_feed_labels(labels, {})


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    texts = item_texts(shared_path("feeds", "real"))  # skips, saying why, without ../shared
    return read_feed_labels(LABELS, texts)  # raises if a label names an item no longer read


def test_every_label_names_an_item_the_fetcher_reads(examples):
    labelled = sum(1 for line in LABELS.read_text().splitlines() if '"ambiguous"' not in line)
    assert len(examples) == labelled == 2128
    assert sum("strike" in e.tags for e in examples) == 35


def test_the_classifier_keeps_its_floors_on_real_feeds(examples):
    report = score(run(Classifier.default(), examples), TAGS)
    # First contact (model 7e82a204): strike precision 0.963, recall 0.743, 1 false alarm in
    # 2,091; model 66daff19, which added Bengali, Hindi and Slovak: 0.900, 0.771, 3 (one in
    # Bengali, one in Slovak). With about 30 tags one item moves precision or recall by 0.03:
    # the floors leave two items' room below 66daff19.
    assert report.scores["strike"].precision >= 0.85
    assert report.scores["strike"].recall >= 0.70
    assert report.untagged_false_positive_rate <= 0.005
