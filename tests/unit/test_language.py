import pytest

from newswatch.classifier.classify import Classifier
from newswatch.classifier.language import detect_language
from tests.factories import news_item


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Russian missile strike kills 12 in Kharkiv, officials say", "en"),
        ("TEACHERS STRIKE OVER PAY", "en"),
        ("Frappes aériennes sur Kharkiv : au moins dix morts selon les autorités", "fr"),
        ("Deutschland bestellt russischen Botschafter ein", "de"),
        ("La UE aprueba un nuevo paquete de sanciones contra Rusia", "es"),
        ("Росія завдала ракетного удару по Києву", "uk"),
        ("МИД вызвал посла Польши в связи с инцидентом", "ru"),
        ("Ataque aéreo mata dez pessoas em Gaza, diz o ministério", "pt"),
        ("Attacco aereo su Gaza, morti e feriti secondo fonti locali", "it"),
        ("غارة جوية على غزة", "ar"),
        ("Ukraine's foreign ministry summons Hungarian ambassador", None),
        ("Zelensky", None),
        ("", None),
    ],
)
def test_detects_the_language_or_says_it_is_unsure(text, language):
    assert detect_language(text) == language


def test_the_detected_language_is_recorded_on_the_item():
    item = news_item(
        language=None,
        title="Frappes aériennes sur Kharkiv, au moins dix morts",
        summary="Selon la mairie, les secours sont toujours sur place.",
    )
    assert Classifier.default().classify_item(item).item.language == "fr"


def test_a_feed_declared_language_is_kept():
    assert Classifier.default().classify_item(news_item(language="en")).item.language == "en"


def test_in_another_language_only_a_sure_match_tags():
    classifier = Classifier.default()
    # Portuguese: a lone "ataque aéreo" would fire the Spanish rule; here it is not sure enough.
    assert classifier.classify("Simulação de ataque aéreo em Lisboa", "", None).tags == []
    sure = classifier.classify("Israeli air strike kills 12 in Gaza City, ministry says", "", "pt")
    assert [h.tag for h in sure.tags] == ["strike"]
