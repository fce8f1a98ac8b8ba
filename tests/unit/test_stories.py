"""Story clustering: several outlets' reports of one event are one story; look-alikes are not."""

from datetime import timedelta
from pathlib import Path

import yaml

from newswatch.alerter.stories import Signature, StoryBook, similarity
from newswatch.shared.contracts import Actor, Casualty, ClassifiedItem, Facts, MoneyAmount, Place
from tests.factories import WHEN, classified

REPORTS = yaml.safe_load((Path(__file__).parents[1] / "data/alerter/stories.yaml").read_text())


def report(n: int, spec: dict) -> ClassifiedItem:
    item = classified(
        n,
        {tag: 0.9 for tag in spec["tags"]},
        title=spec["title"],
        source=spec["source"],
        published_at=WHEN + timedelta(minutes=spec["minutes"]),
    )
    item.facts = Facts(
        places=[Place(name=p, country_code=c, kind=k) for p, c, k in spec.get("places", [])],
        casualties=[Casualty(kind="killed", count=k) for k in spec.get("killed", [])],
        money=[MoneyAmount(value=v, currency="USD") for v in spec.get("money", [])],
        actors=[Actor(name=a, role="actor") for a in spec.get("actors", [])],
    )
    return item


def test_reports_of_one_event_from_several_outlets_form_one_story_and_look_alikes_do_not():
    book = StoryBook(window=timedelta(hours=6))
    story_of_label: dict[str, str] = {}
    for n, spec in enumerate(REPORTS, start=1):
        story = book.assign(report(n, spec)).story
        expected = story_of_label.setdefault(spec["story"], story.id)
        assert story.id == expected, f"{spec['title']!r} went to the wrong story"
    assert len(set(story_of_label.values())) == len(story_of_label)


def test_a_joined_story_counts_its_reports_and_lists_its_sources_once():
    book = StoryBook()
    kyiv = [(n, s) for n, s in enumerate(REPORTS, start=1) if s["story"] == "kyiv"]
    results = [book.assign(report(n, spec)) for n, spec in kyiv]
    assert [r.is_new_story for r in results] == [True, False, False]
    story = results[-1].story
    assert story.report_count == 3
    assert story.sources == ["Wire One", "Daily Courier", "Radio East"]
    assert story.id == story.item_ids[0] and story.latest_item_id == story.item_ids[-1]


def test_a_revised_report_stays_in_its_story_and_is_not_a_new_report():
    book = StoryBook()
    first = book.assign(report(1, REPORTS[0]))
    again = book.assign(report(1, REPORTS[0]))
    assert again.story.id == first.story.id
    assert not again.is_new_story and not again.is_new_report


def test_stories_close_after_the_window_so_the_next_days_strike_is_news():
    book = StoryBook(window=timedelta(hours=2))
    first = book.assign(report(1, REPORTS[0])).story
    late = dict(REPORTS[1], minutes=180)
    assert book.assign(report(2, late)).story.id != first.id


def test_reports_in_different_countries_are_never_one_story():
    kyiv = Signature.of(report(1, REPORTS[0]))
    warsaw = Signature.of(report(2, dict(REPORTS[1], places=[["Warsaw", "PL", "city"]])))
    assert similarity(warsaw, kyiv) == 0.0


def test_a_story_signature_survives_a_round_trip_through_storage():
    signature = Signature.of(report(1, REPORTS[0]))
    assert Signature.from_dict(signature.to_dict()) == signature
