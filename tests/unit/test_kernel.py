"""The C kernel gives what its Python reference gives: word cutting, the model's logits,
literal search (rules' index, gate, framing cues), language detection, sentence splitting
and, end to end, every classification.

Compared on every labelled item (train, dev, frozen test) and every real feed item with its
full summary, and on hand-written texts at the edges of Unicode's character classes. The
reference is the Python code the kernel replaces (``NEWSWATCH_CLASSIFIER_KERNEL=python``).
"""

import random
from functools import cache
from pathlib import Path

import ahocorasick
import pytest

from benchmarks.measure import REAL_FEEDS, real_feeds
from newswatch.classifier import framing, kernel, language
from newswatch.classifier.classify import LANGUAGE_SAMPLE, Classifier
from newswatch.classifier.evaluation import read_examples
from newswatch.classifier.features import LEAD_CHARS, features, mark_bits, words
from newswatch.classifier.text import Lowered, sentences, sentences_reference
from tests.conftest import IN_CI, SHARED

DATA = Path(__file__).resolve().parents[1] / "data" / "classifier"

# Hand-written: where Python's \w and \d are not what one might guess.
EDGES = [
    "",
    "   ",
    "F-16s and 155mm shells: 1,5 Mrd. Euro; 825 млн долларов",
    "#breaking ## 12#34 _under_score_ a_b_c",
    "Ракетний удар по Одесі: 3 загиблих",
    "قصف جوي على غزة يقتل ٣٤ شخصا",  # Arabic-Indic digits are decimal: one "#"
    "गाज़ा पर हवाई हमला १२ लोग मारे गए",  # Devanagari vowel signs and nukta: marks, not \w
    "রুশ হামলায় নিহত ১২; ৩য় দফা",  # Bengali vowel signs; a digit before a sign
    "x² + y³ = z⁴, Ⅻ legions, ½ done",  # superscripts and fractions: \w, but not \d
    "İstanbul ΣΑΣ σας straße ǅ",
    "drone strike 🚀🔥 on the port 🇺🇦",
    "东京 北京 ソウル 서울 12時",
    "don’t “strike” – “sanctions” — 2024–25",
    "a\u0301b\u200dc\u00add e\ufeff",
]


def _labelled() -> list[tuple[str, str]]:
    paths = [DATA / "train", DATA / "dev.jsonl", DATA / "test"]
    return [(e.title, e.summary) for p in paths for e in read_examples(p)]


@cache  # parsing the 57 feeds once for the module
def _real_feed_items() -> list[tuple[str, str]]:
    if not REAL_FEEDS.exists():
        return []
    return [(i.title, i.summary) for feed in real_feeds() for i in feed]


@pytest.fixture(scope="module")
def items() -> list[tuple[str, str]]:
    return _labelled() + _real_feed_items() + [(t, t) for t in EDGES]


@pytest.fixture(scope="module")
def texts(items: list[tuple[str, str]]) -> list[str]:
    """Every title and lead, lower-cased, as the model and the literal index see them."""
    seen = dict.fromkeys(
        x for t, s in items for x in (t.lower(), s.lower(), s[:LEAD_CHARS].lower())
    )
    return list(seen)


@pytest.fixture(autouse=True)
def _built() -> None:
    if not kernel.available():
        if IN_CI:
            pytest.fail("the C kernel is not built (make install builds it; CI has a compiler)")
        pytest.skip("the C kernel is not built here (no C compiler at install): Python runs")


def test_the_real_feed_items_are_there_in_ci() -> None:
    if IN_CI or SHARED.exists():
        assert len(_real_feed_items()) > 1000, "the comparison needs the real feed items"


def test_words_are_cut_as_the_reference_cuts_them(texts: list[str]) -> None:
    model = Classifier.default().model
    assert model is not None
    cutter = kernel._kernel.Features(*_lookups(model))
    differ = [t for t in texts if cutter.words(t) != words(t)]
    assert not differ, f"{len(differ)} texts cut differently, e.g. {differ[:3]}"


def test_the_model_scores_every_item_as_the_reference_does(items: list[tuple[str, str]]) -> None:
    model = Classifier.default().model
    assert model is not None and model._native is not None
    python = model.reference()
    worst = 0.0
    for title, summary in items:
        fast, slow = model.probabilities(title, summary), python.probabilities(title, summary)
        worst = max(worst, *(abs(fast[t] - slow[t]) for t in model.tags))
    assert worst < 1e-12, "the same weights summed in another order differ by rounding only"


def test_features_the_kernel_sums_are_the_features_training_sees() -> None:
    """A feature of every kind (word, stem, pair, title word) moves the logit by its weight."""
    model = Classifier.default().model
    assert model is not None
    title, lead = "drone strikes hit kharkiv", "the regional governor said"
    found = {f for f in features(title, lead) if f in model._vocabulary}
    assert {f[0] for f in found} >= {"w", "p", "b", "t"}, found
    expected = model._intercepts + model._weights[[model._vocabulary[f] for f in found]].sum(0)
    got = model._native(title, lead, [])  # type: ignore[misc]
    assert list(got) == pytest.approx(list(expected), abs=1e-12)


def _lookups(model) -> tuple:
    w, p, b, t = model._by_kind[:4]
    return w, t, p, b, model._weights, model._intercepts, mark_bits()


def _reference_occurrences(literals: list[str], text: str) -> dict[str, list[int]]:
    automaton = ahocorasick.Automaton()
    for literal in literals:
        automaton.add_word(literal, literal)
    if not literals:
        return {}
    automaton.make_automaton()
    found: dict[str, list[int]] = {}
    for end, literal in automaton.iter(text):
        found.setdefault(literal, []).append(end - len(literal) + 1)
    return found


@pytest.mark.parametrize(
    ("literals", "text", "expected"),
    [
        (["he", "she", "his", "hers"], "ushers", {"she": [1], "he": [2], "hers": [2]}),
        (["aa"], "aaaa", {"aa": [0, 1, 2]}),
        (["abc", "bc", "c"], "xabcx", {"abc": [1], "bc": [2], "c": [3]}),
        (["удар", "ракетн"], "ракетний удар, удари", {"ракетн": [0], "удар": [9, 15]}),
        (["🚀 on"], "drone 🚀 on", {"🚀 on": [6]}),
        (["strike", "strike"], "strike", {"strike": [0]}),
        ([], "anything", {}),
        (["long literal"], "", {}),
    ],
)
def test_the_automaton_finds_every_occurrence(
    literals: list[str], text: str, expected: dict[str, list[int]]
) -> None:
    automaton = kernel._kernel.Automaton(literals)
    assert automaton.occurrences(text) == expected
    assert automaton.present(text) == frozenset(expected)
    assert automaton.any_in(text) is bool(expected)


def test_word_starts_skip_a_cue_inside_a_word() -> None:
    automaton = kernel._kernel.Automaton(["test", "threat"])
    assert automaton.word_starts("protest: tested, (threat)") == {"test", "threat"}
    assert automaton.word_starts("protest contest") == set()
    assert automaton.word_starts("_test #threat") == {"test", "threat"}, "_ and # are not alnum"
    assert automaton.word_starts("²test") == set(), "² is alphanumeric to Python"


def test_every_literal_index_finds_what_pyahocorasick_finds(texts: list[str]) -> None:
    classifier = Classifier.default()
    assert classifier.model is not None
    indexes = {
        "rules": sorted(classifier._plan.index.literals),
        "gate": sorted(classifier.model.gate),
        "framing cues": sorted(framing._cues()),
    }
    for name, literals in indexes.items():
        reference = ahocorasick.Automaton()
        for literal in literals:
            reference.add_word(literal, literal)
        reference.make_automaton()
        native = kernel._kernel.Automaton(literals)
        for text in texts:
            found: dict[str, list[int]] = {}
            for end, literal in reference.iter(text):
                found.setdefault(literal, []).append(end - len(literal) + 1)
            assert native.occurrences(text) == found, (name, text[:80])


def test_a_large_automaton_probes_and_finds_the_same() -> None:
    """Past its table's size (DFA_CELLS) the automaton searches by probing its edges."""
    rng = random.Random(5)
    alphabet = [chr(c) for c in range(0x400, 0x400 + 300)]
    literals = sorted({"".join(rng.choices(alphabet, k=rng.randint(8, 24))) for _ in range(2000)})
    large, small = kernel._kernel.Automaton(literals), kernel._kernel.Automaton(literals[:50])
    assert not large.dense() and small.dense()
    texts = ["".join(rng.choices(alphabet, k=400)) for _ in range(200)]
    texts += [f"{rng.choice(texts)[:50]}{w}{rng.choice(literals)[:5]}" for w in literals]
    for text in texts:
        assert large.occurrences(text) == _reference_occurrences(literals, text)
        assert small.occurrences(text) == _reference_occurrences(literals[:50], text)


# Hand-written: samples at the detector's edges (mixed scripts, a tie, one stopword).
LANGUAGE_EDGES = [
    "the",
    "la",
    "de la",
    "el de",
    "la guerre et la paix",
    "bє국жx, 2asõёöйг",
    "ukraine’s army",
    "straße über",
    "армія і флот",
    "армия и флот",
    "армі",
    "১২৩ ৪৫৬",
    "x² ½",
]


def test_language_is_detected_as_the_reference_detects_it(
    items: list[tuple[str, str]],
) -> None:
    samples = [*LANGUAGE_EDGES, *EDGES]
    for title, summary in items:  # as the classifier samples an item
        lowered = Lowered(title, summary)
        sample = f"{lowered.title}\n{lowered.head(LANGUAGE_SAMPLE)}"
        samples.append(sample[: language.SAMPLE_CHARS])
    differ = [s for s in samples if language.detect_lowered(s) != language.detect_reference(s)]
    assert not differ, f"{len(differ)} samples detected differently, e.g. {differ[:3]}"
    assert [language.detect_lowered(s) for s in ("the army said", "армія і флот")] == ["en", "uk"]


# Hand-written: where a sentence does and does not end.
SENTENCE_EDGES = [
    "U.S. forces struck. Mr. Smith said; Dr. Who? No. 5 St. Louis… end",
    "A. B. Jones left.  Then\n\n\nmore\n",
    "MR. X. mr. y. AMr. z. _A. b. 1A. c.",
    "end.\u00a0next!\u2003third?\u3000fourth;\tfifth…\u2028sixth",
    "\n\n lead\n",
    ". . .",
    "trailing. ",
]


def test_sentences_are_split_as_the_reference_splits_them(
    items: list[tuple[str, str]],
) -> None:
    texts = SENTENCE_EDGES + EDGES + [x for pair in items for x in pair]
    differ = [t for t in texts if sentences(t) != sentences_reference(t)]
    assert not differ, f"{len(differ)} texts split differently, e.g. {differ[:3]}"
    assert sentences("Strike hit. Mr. X said.\nNext") == [
        (0, "Strike hit."),
        (12, "Mr. X said."),
        (24, "Next"),
    ]


def test_framing_finds_what_the_reference_finds(texts: list[str]) -> None:
    differ = [t for t in texts if framing.frames(t) != framing.frames(t, native=False)]
    assert not differ, differ[:3]


def test_every_item_is_classified_as_the_reference_classifies_it(
    items: list[tuple[str, str]],
) -> None:
    fast = Classifier.default()
    got = [fast.classify(title, summary) for title, summary in items]
    with kernel.python_reference():
        slow = Classifier.default()
        assert slow.model is not None and slow.model._native is None
        want = [slow.classify(title, summary) for title, summary in items]
    differ = [
        title
        for (title, _), a, b in zip(items, got, want, strict=True)
        if (a.tags, a.facts, a.language) != (b.tags, b.facts, b.language)
    ]
    assert not differ, f"{len(differ)} items classified differently, e.g. {differ[:3]}"
    assert sum(1 for a in got if a.tags) > 5000, "thousands of items carry tags: a real check"
