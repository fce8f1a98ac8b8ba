"""The classifier against LABELING.md: the founding article, the demo wire and confusable senses."""

import pytest

from newswatch.classifier.classify import Classifier
from newswatch.demo.feed import load_stories
from tests.conftest import shared_path


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.default()


def tags(
    classifier: Classifier, title: str, summary: str = "", lang: str | None = None
) -> set[str]:
    return {h.tag for h in classifier.classify(title, summary, lang).tags}


def test_the_founding_article_raises_all_four_alerts_with_evidence(classifier):
    text = shared_path("seed").glob("*.txt").__next__().read_text("utf-8")
    result = classifier.classify("", text)
    by_tag = {h.tag: h for h in result.tags}
    assert set(by_tag) == {"strike", "diplomatic_protest", "sanctions", "arms_approval"}
    for hit in by_tag.values():
        assert hit.evidence and 0.5 <= hit.confidence <= 1.0
        for e in hit.evidence:
            assert text[e.start : e.end] == e.text
    facts = result.facts
    assert ("Kyiv", "UA") in {(p.name, p.country_code) for p in facts.places}
    assert ("killed", 23) in {(c.kind, c.count) for c in facts.casualties}
    assert ("Karen Malayan", "summoned") in {(a.name, a.role) for a in facts.actors}
    assert ("EU", "summoning") in {(a.name, a.role) for a in facts.actors}
    money = {(m.value, m.currency, m.qualifier) for m in facts.money}
    assert (825_000_000, "USD", "exact") in money
    assert (200_000_000_000, "EUR", "more_than") in money


@pytest.mark.parametrize(
    "story", load_stories() + load_stories("second_outlet"), ids=lambda s: s.title[:40]
)
def test_the_demo_wire_is_tagged_as_a_watch_officer_would(classifier, story):
    assert tags(classifier, story.title, story.summary) == set(story.expect)


@pytest.mark.parametrize(
    ("title", "summary", "expected"),
    [
        ("Israeli air strike kills 12 in Gaza City", "", {"strike"}),
        (
            "Drones launched at Odesa overnight; 20 of 25 downed",
            "Debris damaged a warehouse.",
            {"strike"},
        ),
        (
            "Islamabad denies carrying out the strike on border village",
            "Residents said a drone hit a house, killing three.",
            {"strike"},
        ),
        ("TEACHERS STRIKE OVER PAY", "", set()),
        ("Hunger strike enters third week", "The activist is refusing food.", set()),
        ("Lightning strike hits church spire", "", set()),
        ("Unions and ministers strike a deal on pensions", "", set()),
        ("North Korea test-fires ballistic missile into the sea", "", set()),
        ("Iran threatens to strike US bases if attacked", "", set()),
        ("Navy carrier strike group arrives in the Mediterranean", "", set()),
        ("Ukraine's foreign ministry summons Hungarian ambassador", "", {"diplomatic_protest"}),
        ("Beijing lodges stern representations with Tokyo over visit", "", {"diplomatic_protest"}),
        ("Witness summoned to testify before the court", "", set()),
        ("Thousands protest outside the embassy in Paris", "Protesters marched with flags.", set()),
        ("EU adopts 19th sanctions package against Russia", "", {"sanctions"}),
        ("US Treasury sanctions cartel leaders over fentanyl trade", "", {"sanctions"}),
        ("UEFA sanctions club over racist chanting", "", set()),
        ("State government sanctions ₹1,200 crore for new highway", "", set()),
        ("Analysts say sanctions could be tightened next year", "", set()),
        (
            "State Department approves possible $2 billion sale of Patriot missiles to Poland",
            "",
            {"arms_approval"},
        ),
        ("German government approves export licences for tanks to Norway", "", {"arms_approval"}),
        ("Tanks delivered to Poland arrive at port", "The shipment was agreed last year.", set()),
        ("Senate approves gun control bill", "", set()),
        ("Kyiv requests more air defence systems", "", set()),
    ],
)
def test_confusable_senses(classifier, title, summary, expected):
    assert tags(classifier, title, summary) == expected


@pytest.mark.parametrize(
    ("title", "lang", "expected"),
    [
        ("Frappes aériennes sur Kharkiv : au moins dix morts", "fr", {"strike"}),
        ("Deutschland bestellt russischen Botschafter ein", "de", {"diplomatic_protest"}),
        ("La UE aprueba un nuevo paquete de sanciones contra Rusia", "es", {"sanctions"}),
        ("Росія завдала ракетного удару по Києву", "uk", {"strike"}),
        ("МИД вызвал посла Польши", "ru", {"diplomatic_protest"}),
    ],
)
def test_first_triggers_in_other_languages(classifier, title, lang, expected):
    assert tags(classifier, title, "", lang) == expected


def test_evidence_offsets_point_into_the_field_they_name(classifier):
    title = "Shelling hits Kherson market"
    summary = "Officials said. Russian artillery shelled the market, killing two."
    (hit,) = classifier.classify(title, summary).tags
    for e in hit.evidence:
        assert (title if e.field == "title" else summary)[e.start : e.end] == e.text


def test_hostile_and_empty_input_does_not_crash(classifier):
    assert classifier.classify("", "").tags == []
    assert classifier.classify("…" * 50_000, "<" * 100_000).tags == []
    assert tags(classifier, "x" * 100_000 + " missile strike kills 3") == {"strike"}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Russia launched 1500 drones at Ukraine in a week, air force says", {"strike"}),
        ("Documentary recalls the bombing raid of 1944", set()),
        ("Drone debris falls onto roof of high-rise in Kyiv", {"strike"}),
        ("Developer guide: shelling out to commands from Python", set()),
        ("Train hits truck, killing one; driver struck by debris", set()),
    ],
)
def test_numbers_years_debris_and_idioms(classifier, title, expected):
    assert tags(classifier, title) == expected


def test_the_general_staff_is_not_a_labour_union(classifier):
    assert tags(
        classifier, "Ukraine's General Staff confirms strike on Russian command post in Kursk"
    ) == {"strike"}
    assert tags(classifier, "Unions call a general strike for Thursday") == set()
