"""Subscription filters: every filter given must pass, empty filters pass everything."""

import pytest

from newswatch.alerter.matching import KeywordFinder, SubscriptionIndex
from newswatch.shared.contracts import ChannelTarget, ClassifiedItem, Facts, Place, Subscription
from tests.factories import classified

CONSOLE = [ChannelTarget(kind="console")]


def sub(id_: str, tags: list[str] | None = None, **kw) -> Subscription:
    return Subscription(
        id=id_, tags=tags if tags is not None else ["strike"], channels=CONSOLE, **kw
    )


def matched(subs: list[Subscription], item: ClassifiedItem) -> dict[str, list[str]]:
    return {s.id: [h.tag for h in hits] for s, hits in SubscriptionIndex(subs).match(item)}


def test_subscriptions_match_by_any_of_their_tags_and_minimum_confidence():
    subs = [
        sub("strikes"),
        sub("sure-strikes", min_confidence=0.99),
        sub("both", ["strike", "sanctions"]),
        sub("sanctions", ["sanctions"]),
        sub("off", enabled=False),
    ]
    assert matched(subs, classified(1, {"strike": 0.9, "sanctions": 0.8})) == {
        "strikes": ["strike"],
        "both": ["strike", "sanctions"],
        "sanctions": ["sanctions"],
    }
    assert matched(subs, classified(2, {})) == {}


def test_all_of_tags_need_every_tag_at_the_minimum_confidence():
    subs = [sub("pair", [], all_tags=["strike", "diplomatic_protest"], min_confidence=0.7)]
    assert matched(subs, classified(1, {"strike": 0.9, "diplomatic_protest": 0.8})) == {
        "pair": ["strike", "diplomatic_protest"]
    }
    assert matched(subs, classified(2, {"strike": 0.9})) == {}
    assert matched(subs, classified(3, {"strike": 0.9, "diplomatic_protest": 0.6})) == {}


def test_any_of_and_all_of_combine():
    subs = [sub("s", ["strike", "sanctions"], all_tags=["diplomatic_protest"])]
    assert matched(subs, classified(1, {"sanctions": 0.9, "diplomatic_protest": 0.9}))
    assert not matched(subs, classified(2, {"diplomatic_protest": 0.9}))


def test_countries_come_from_the_places_the_classifier_found():
    item = classified(1)  # Odesa, UA
    subs = [
        sub("ua", countries=["ua"]),
        sub("pl", countries=["PL"]),
        sub("ua-or-pl", countries=["PL", "UA"]),
    ]
    assert set(matched(subs, item)) == {"ua", "ua-or-pl"}
    item.facts = Facts(places=[Place(name="Somewhere")])
    assert matched(subs, item) == {}


def test_sources_match_the_outlet_name_or_the_feed_id_in_any_case():
    subs = [
        sub("by-name", sources=["WIRE"]),
        sub("by-feed", sources=["wire"]),
        sub("other", sources=["courier"]),
    ]
    assert set(matched(subs, classified(1, source="Wire", feed_id="wire"))) == {
        "by-name",
        "by-feed",
    }


def test_languages_filter_on_the_item_language_and_unknown_language_passes_only_unfiltered():
    subs = [sub("fr", languages=["fr"]), sub("any")]
    assert set(matched(subs, classified(1, language="fr"))) == {"fr", "any"}
    assert set(matched(subs, classified(2, language=None))) == {"any"}


def test_keywords_include_any_and_exclude_all_as_whole_words():
    subs = [
        sub("port", keywords=["port", "harbour"]),
        sub("no-odesa", exclude_keywords=["odesa"]),
        sub("phrase", keywords=["missile strike"]),
    ]
    item = classified(1, title="Missile strike hits Odesa port", summary="")
    assert set(matched(subs, item)) == {"port", "phrase"}
    item = classified(2, title="Missile strike near the airport", summary="")
    assert set(matched(subs, item)) == {"no-odesa", "phrase"}  # 'airport' is not 'port'


def test_keyword_finder_finds_whole_words_only_and_ignores_case():
    finder = KeywordFinder(["port", "air defence"])
    assert finder.find("AIR DEFENCE at the PORT") == {"port", "air defence"}
    assert finder.find("airport reports") == set()


@pytest.mark.parametrize(
    "fields",
    [{"tags": [], "all_tags": []}, {"countries": ["Ukraine"]}, {"channels": []}],
)
def test_subscriptions_refuse_filters_that_cannot_work(fields):
    with pytest.raises(ValueError):
        Subscription.model_validate(
            {"id": "x", "tags": ["strike"], "channels": [{"kind": "console"}], **fields}
        )
