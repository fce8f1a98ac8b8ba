"""Framing cues: is the item reporting an event, or a threat, plan, call, opinion, case,
test or anniversary? The cue lexicon is data (``framing.yaml``); this module only finds
which classes occur, in one Aho-Corasick pass per field (``LiteralIndex``). Pure."""

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml

from newswatch.classifier import kernel
from newswatch.classifier.prefilter import LiteralIndex


@cache
def _lexicon() -> dict[str, Any]:
    lexicon: dict[str, Any] = yaml.safe_load(
        (resources.files("newswatch.classifier") / "framing.yaml").read_text("utf-8")
    )
    return lexicon


WHOLE_WORD = "$"  # a cue written "how$" is the whole word: not "however", not "howitzer"


def _written() -> list[tuple[str, str]]:
    """(class, cue as written) in the order of the classes' names."""
    lexicon = {k: v for k, v in _lexicon().items() if k != "only_for"}
    return [
        (str(frame), str(cue).lower()) for frame, cues in sorted(lexicon.items()) for cue in cues
    ]


@cache
def _cues() -> dict[str, str]:
    """Cue -> its class (a cue listed twice keeps the last class, by class name)."""
    return {cue.removesuffix(WHOLE_WORD): frame for frame, cue in _written()}


@cache
def _whole_words() -> dict[str, re.Pattern[str]]:
    """The cues that count only as a whole word, each with the pattern that finds it so."""
    words = {cue.removesuffix(WHOLE_WORD) for _, cue in _written() if cue.endswith(WHOLE_WORD)}
    return {w: re.compile(rf"(?<![^\W_]){re.escape(w)}(?![^\W_])") for w in words}


@cache
def _index(native: bool) -> LiteralIndex:
    return LiteralIndex(_cues(), native)


# Frames that say the item reports no event done: the rules' hits in them need the model's
# word too (a higher bar, calibrated per tag as ``Thresholds.framed``).
NOT_DONE = frozenset(
    {"threat", "plan", "call", "opinion", "evasion", "test", "background", "proposal", "pending"}
)


@cache
def not_done(tag: str) -> frozenset[str]:
    """The frames that make a report of ``tag`` something not done (``only_for`` narrows)."""
    only_for = _lexicon().get("only_for", {})
    return frozenset(f for f in NOT_DONE if f not in only_for or tag in only_for[f])


def frames(lowered: str, native: bool | None = None) -> set[str]:
    """The framing classes whose cues start a word of a lower-cased text ("threatens" cues
    "threaten", "protest" does not cue "test"), or, for a whole-word cue, are one ("how$":
    "how" but not "howitzer"). ``native``: by the C kernel (the default where it is built;
    ``kernel.python_reference()`` switches, so it is asked each time) or not."""
    cues, whole = _cues(), _whole_words()
    native = kernel.available() if native is None else native
    return {
        cues[cue]
        for cue in _index(native).word_starts(lowered)
        if cue not in whole or whole[cue].search(lowered)
    }
