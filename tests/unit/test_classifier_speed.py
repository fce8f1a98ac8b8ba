"""The classifier's fast paths give exactly what the plain definitions give.

Each fast path (sentence boundaries that skip to whitespace, words cut by translate and
split, one lower-casing shared by every reader, literal groups that narrow a pattern to
fewer sentences) is checked against the plain definition it replaces, on hand-written
text chosen for its edge cases.
"""

import re
import unicodedata

import pytest

from newswatch.classifier import features, language
from newswatch.classifier.engine import Plan, evaluate
from newswatch.classifier.prefilter import required_groups
from newswatch.classifier.rules import Ruleset, parse_tag_file
from newswatch.classifier.text import Lowered, sentences

# The boundary as first written (lookbehinds tried at every position): the specification.
PLAIN_BOUNDARY = re.compile(
    r"(?<=[.!?;…])(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bNo\.)\s+|\n+"
)
TRICKY = [
    "",
    " ",
    "\n\n",
    "One. Two! Three? Four; five… six",
    "The U.S. and Mr. Smith met Dr. Who at St. Paul's. No. 5 won.",
    "a. \n\nb",
    "a \n\n \nb",
    "Ends with a stop. ",
    "\n leading break. Then\ttab.\u2003Em space.",
    "Kyiv’s “strike” – 12 killed — 3,500 hurt; #1 trend: 2024's x_y 4th",
    "Q&A: Ünïcödé wörds, Straße, ИНФОРМАЦИЯ №5, ١٢٣ arabic digits, ² superscript",
    "don’t ‘quote’ it's ok\x01\x02",
    "ΣΊΣΥΦΟΣ Σ. İstanbul ıI ſ",  # "İ" lower-cased is "i" and a combining dot: one word
    "রুশ হামলায় নিহত ১২। हमले में १२ की मौत",
]


@pytest.mark.parametrize("text", TRICKY)
def test_sentences_are_split_where_the_plain_boundary_splits(text):
    plain, start = [], 0
    for boundary in PLAIN_BOUNDARY.finditer(text):
        if boundary.start() > start:
            plain.append((start, text[start : boundary.start()]))
        start = boundary.end()
    if start < len(text):
        plain.append((start, text[start:]))
    assert sentences(text) == plain


def _plain_words(text: str) -> list[str]:
    """The definition: digit runs become "#"; a word is a run of what Python's \\w matches
    (alphanumerics and "_"), "#" and Unicode's combining marks (categories Mn, Mc, Me)."""
    folded = re.sub(r"\d+", "#", text.lower())
    marked = "".join(
        c if c.isalnum() or c in "_#" or unicodedata.category(c)[0] == "M" else " " for c in folded
    )
    return marked.split()


@pytest.mark.parametrize("text", TRICKY)
def test_the_models_words_are_the_regex_words(text):
    plain = _plain_words(text)
    assert features.lowered_words(text.lower()) == plain
    assert features.words(text) == plain


@pytest.mark.parametrize("text", TRICKY)
def test_the_language_words_are_the_regex_words(text):
    sample = text.lower()
    fast = language._ascii_words(sample)
    assert fast is None or fast == re.findall(r"[\w'’]+", sample)


def test_ascii_with_typographic_quotes_takes_the_fast_path():
    assert language._ascii_words("kyiv’s “strike” – x") == ["kyiv’s", "strike", "x"]
    assert features.lowered_words("kyiv’s “strike” – 12") == ["kyiv", "s", "strike", "#"]


@pytest.mark.parametrize("text", TRICKY)
@pytest.mark.parametrize("chars", [0, 1, 3, 400, 600])
def test_a_head_of_the_lowered_summary_is_the_lowered_head(text, chars):
    assert Lowered("Title", text).head(chars) == text[:chars].lower()


def test_a_capital_sigma_at_the_cut_is_lowered_as_the_cut_text_would_be():
    text = "ΟΔΥΣΣΕΑΣ"
    assert Lowered("", text).head(4) == text[:4].lower() == "οδυς"  # final at the cut


@pytest.mark.parametrize(
    ("pattern", "groups"),
    [
        (
            r"\b(hits?|strikes?)\s+on\s+(the\s+)?(base|bridge)",
            [{"hit", "strike"}, {"base", "bridge"}],
        ),
        (r"\bair[- ]?strikes?\b", [{"air"}, {"strike"}]),
        (r"\b(missile|drone)s?\b", [{"missile", "drone"}]),
        (r"(?:a|b)x", []),
        (r"\b(banned|barred)\s+(entry|travel)?", [{"banned", "barred"}]),  # optional: not required
    ],
)
def test_required_groups_are_every_requirement(pattern, groups):
    assert [set(g) for g in required_groups(pattern)] == groups


TAG = """
tag: strike
rules:
  - id: hit_on_target
    weight: 0.9
    any: ['\\b(hits?|strikes?)\\s+on\\s+(the\\s+)?(base|bridge)\\b']
"""


@pytest.mark.parametrize(
    "summary",
    [
        "Calm day. Missiles hit on the base overnight. Hit nothing else.",
        "The hits were elsewhere. A base was closed.",  # each group, never in one sentence
        "Drones hıt on the base overnight.",  # dotless i: the regex matches, "hit" is absent
        "Strikeſ on the base.",
        "Ordinary text about a bridge.",
    ],
)
def test_literal_groups_find_what_the_whole_field_regex_finds(summary):
    definition = parse_tag_file(TAG, "strike.yaml")
    plan = Plan(Ruleset((definition,)))
    hits = evaluate(plan, "", summary)
    found = [(e.start, e.end) for hit in hits for e in hit.evidence]
    expected = [
        (offset + m.start(), offset + m.end())
        for offset, sentence in sentences(summary)
        for m in definition.rules[0].pattern.finditer(sentence)
    ]
    assert found == expected


def test_whole_number_language_scores_decide_as_the_float_sums_do():
    # Ties and scores exactly at a bar included: one shared word ("de"), one distinctive
    # word exactly at 1.0, two languages level, hints on top.
    cases = [
        [],
        ["de"],
        ["the"],
        ["the", "le"],
        ["der", "die", "le"],
        ["la", "de", "el", "ñ"],
        ["de", "la", "que", "en"],
        ["the", "of", "and", "le", "la", "les"],
        ["och", "i", "att", "ä", "ö"],
        ["ve", "bir", "ı", "ğ", "ü"],
    ]
    for words in cases:
        assert language._latin(words) == language._latin_floats(words), words
