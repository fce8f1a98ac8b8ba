"""Facts extracted from an item's text: what an alert can say without a reader opening the link."""

from datetime import date

import pytest

from newswatch.classifier.classify import Classifier
from newswatch.classifier.facts import FactExtractor
from newswatch.classifier.gazetteer import Gazetteer


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.default()


def facts(classifier, title, summary="", published=None):
    """The facts of a tagged item; for text no tag fires on, what the extractor finds in it
    (the classifier itself spends no time on facts for untagged items)."""
    result = classifier.classify(title, summary, None, published)
    if result.tags:
        return result.facts
    evidence = []
    return FactExtractor(Gazetteer.load_default()).extract(title, summary, evidence, published)


def test_untagged_items_carry_no_facts(classifier):
    assert (
        classifier.classify(
            "Dnipro bakery wins award", "At least 12 people attended."
        ).facts.casualties
        == []
    )


def test_casualties_keep_numbers_kinds_and_qualifiers(classifier):
    f = facts(
        classifier,
        "Missile strike on Dnipro kills 12",
        "At least 12 people were killed and more than 40 wounded, officials said; two died in hospital.",
    )
    found = {(c.kind, c.count, c.qualifier) for c in f.casualties}
    assert ("killed", 12, "at_least") in found
    assert ("injured", 40, "more_than") in found


def test_word_numbers_and_thousands_separators(classifier):
    f = facts(
        classifier,
        "Shelling kills five in Kherson",
        "The attack also injured 1,200 residents' homes… and wounded twenty people.",
    )
    found = {(c.kind, c.count) for c in f.casualties}
    assert ("killed", 5) in found and ("injured", 20) in found


@pytest.mark.parametrize(
    ("text", "value", "currency", "qualifier"),
    [
        ("The US approved an $825 million arms package.", 825e6, "USD", "exact"),
        (
            "Ministers weighed seizing over 200 billion euros in frozen assets.",
            200e9,
            "EUR",
            "more_than",
        ),
        ("Britain pledged £1.5bn in military aid.", 1.5e9, "GBP", "exact"),
        ("A deal worth about 6 billion dollars was signed.", 6e9, "USD", "about"),
        ("The package is worth €500m.", 500e6, "EUR", "exact"),
    ],
)
def test_money_amounts_become_values_and_iso_currencies(
    classifier, text, value, currency, qualifier
):
    (money,) = facts(classifier, text).money
    assert (money.value, money.currency, money.qualifier) == (value, currency, qualifier)


def test_places_carry_country_codes_and_kinds(classifier):
    f = facts(
        classifier,
        "Drone strike hits factory in Zakarpattia",
        "Kyiv said the plant near Mukachevo in Ukraine was owned by a US firm.",
    )
    places = {(p.name, p.country_code, p.kind) for p in f.places}
    assert {
        ("Zakarpattia", "UA", "region"),
        ("Kyiv", "UA", "city"),
        ("Ukraine", "UA", "country"),
    } <= places


def test_a_place_naming_an_agreement_is_no_place_of_the_news(classifier):
    f = facts(
        classifier,
        "EU summons Russia's envoy over damage to its Kyiv delegation",
        "An EU spokesperson called it a violation of the Vienna Convention; talks in Vienna "
        "on the Minsk agreements and the Paris Agreement went on in Paris.",
    )
    assert {p.name for p in f.places} == {"Kyiv", "Vienna", "Paris"}
    only_treaties = facts(classifier, "Minsk agreements and the Geneva Conventions explained")
    assert only_treaties.places == []


def test_actor_roles_follow_the_event(classifier):
    strike = facts(classifier, "Russian forces struck Kharkiv overnight, killing three")
    assert ("Russia", "attacker") in {(a.name, a.role) for a in strike.actors}
    protest = facts(classifier, "Poland summons Russian ambassador over drone incursion")
    assert {("Poland", "summoning"), ("Russia", "summoned")} <= {
        (a.name, a.role) for a in protest.actors
    }
    approval = facts(classifier, "Germany approves export of tanks to Norway")
    assert {("Germany", "approving"), ("Norway", "recipient")} <= {
        (a.name, a.role) for a in approval.actors
    }


def test_a_name_in_a_later_clause_is_not_the_triggers_object(classifier):
    # The reason ("over damage to its delegation") and the background ("after a strike on
    # Kyiv") name states that are neither summoned nor summoning.
    f = facts(
        classifier,
        "EU summons Russia's envoy over damage to its delegation in Ukraine",
        "The EU summoned Russia's envoy in Brussels after a Russian strike on Kyiv damaged the "
        "building of the EU delegation to Ukraine.",
    )
    roles = {(a.name, a.role) for a in f.actors}
    assert {("EU", "summoning"), ("Russia", "summoned")} <= roles
    assert ("EU", "summoned") not in roles and ("Ukraine", "summoned") not in roles
    sanctions = facts(classifier, "EU sanctions Russia and Belarus over the war in Ukraine")
    assert {("Russia", "sanctioned"), ("Belarus", "sanctioned")} <= {
        (a.name, a.role) for a in sanctions.actors
    }
    assert ("Ukraine", "sanctioned") not in {(a.name, a.role) for a in sanctions.actors}


def test_named_envoys_are_actors(classifier):
    f = facts(
        classifier,
        "EU summons envoy",
        "The EU summoned Russia's envoy in Brussels, Karen Malayan, to protest.",
    )
    assert ("Karen Malayan", "person", "summoned") in {(a.name, a.kind, a.role) for a in f.actors}


def test_weapons_are_named_once_each_most_specific_first(classifier):
    f = facts(
        classifier,
        "Cruise missiles and Shahed drones hit Lviv",
        "Air defences downed 20 drones and two missiles.",
    )
    assert f.weapons == ["cruise missile", "drone", "missile"]


@pytest.mark.parametrize(
    ("text", "published", "event"),
    [
        ("On August 28, the U.S. approved a package.", date(2025, 9, 2), date(2025, 8, 28)),
        ("The deal was agreed on 3 March 2024 in Paris.", date(2025, 1, 5), date(2024, 3, 3)),
        ("The strike happened on December 30.", date(2026, 1, 2), date(2025, 12, 30)),
        ("No date here.", date(2025, 1, 1), None),
    ],
)
def test_event_dates_are_read_with_the_publication_year(classifier, text, published, event):
    assert facts(classifier, text, "", published).event_date == event


def test_the_founding_articles_facts_via_a_news_item(classifier):
    from tests.conftest import shared_path

    text = next(shared_path("seed").glob("*.txt")).read_text("utf-8")
    f = facts(classifier, "", text, date(2025, 9, 1))
    assert f.event_date == date(2025, 8, 28)
    assert ("Kyiv", "UA") in {(p.name, p.country_code) for p in f.places}
