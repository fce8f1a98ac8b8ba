"""Framing cues: is the item reporting an event, or a threat, plan, call, opinion, case,
test or anniversary? The cue lexicon is data (``framing.yaml``); this module only finds
which classes occur, in one Aho-Corasick pass per field (``LiteralIndex``). Pure."""

from functools import cache
from importlib import resources

import yaml

from newswatch.classifier import kernel
from newswatch.classifier.prefilter import LiteralIndex


@cache
def _lexicon() -> dict:
    return yaml.safe_load(
        (resources.files("newswatch.classifier") / "framing.yaml").read_text("utf-8")
    )


@cache
def _cues() -> dict[str, str]:
    """Cue -> its class (a cue listed twice keeps the last class, by class name)."""
    lexicon = {k: v for k, v in _lexicon().items() if k != "only_for"}
    return {str(cue).lower(): str(frame) for frame, cues in sorted(lexicon.items()) for cue in cues}


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
    """The framing classes whose cues start a word of a lower-cased text ("test" is cued
    by "tested", never by "protest"). ``native``: by the C kernel (the default where it is
    built; ``kernel.python_reference()`` switches, so it is asked each time) or not."""
    cues = _cues()
    native = kernel.available() if native is None else native
    return {cues[cue] for cue in _index(native).word_starts(lowered)}
