"""The literal prefilter: what every match must contain, derived from the regex, conservatively."""

import re

import pytest

from newswatch.classifier.prefilter import LiteralIndex, may_match, required_literals


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"\bair[- ]?strikes?\b", {"strike"}),
        (r"\b(missile|drone)s?[- ](strikes?|attacks?)\b", {"strike", "attack"}),
        (r"(?-i:OKs|OKed|OK'd)", {"oks", "oked", "ok'd"}),
        (r"авіаудар\w*", {"авіаудар"}),
        (r"(?:a|b)x", None),  # nothing long enough to rely on
        (r"\b\w+ed\b", None),
    ],
)
def test_required_literals(pattern, literals):
    found = required_literals(pattern)
    assert (None if found is None else set(found)) == literals


@pytest.mark.parametrize(
    "text",
    [
        "Missile strike on Kyiv",
        "drone attacks overnight",
        "State Department OKs sale",
        "no match here",
    ],
)
def test_the_prefilter_never_hides_a_match(text):
    # Soundness: whenever the regex matches, one of its literals is in the lower-cased text.
    for pattern in (r"\b(missile|drone)s?[- ](strikes?|attacks?)\b", r"(?-i:OKs|OKed|OK'd)"):
        if re.search(pattern, text, re.IGNORECASE):
            literals = required_literals(pattern)
            assert literals is not None
            assert may_match(literals, LiteralIndex(literals).present(text.lower()))
