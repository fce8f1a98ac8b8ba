"""Framing cues: is the item reporting an event, or a threat, plan, call, opinion, case,
test or anniversary? The cue lexicon is data (``framing.yaml``); this module only finds
which classes occur, in one Aho-Corasick pass per field (the C kernel's where built,
pyahocorasick's else). Pure."""

from functools import cache
from importlib import resources
from typing import Any

import ahocorasick
import yaml

from newswatch.classifier import kernel


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
def _automaton() -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for cue, frame in _cues().items():
        automaton.add_word(cue, (frame, len(cue)))
    automaton.make_automaton()
    return automaton


@cache
def _native() -> Any:
    return kernel.native_automaton(_cues())


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


def frames(lowered: str) -> set[str]:
    """The framing classes whose cues start a word of a lower-cased text ("test" is cued
    by "tested", never by "protest")."""
    if kernel.available():  # asked each time: kernel.python_reference() switches it
        cues = _cues()
        return {cues[cue] for cue in _native().word_starts(lowered)}
    return reference_frames(lowered)


def reference_frames(lowered: str) -> set[str]:
    """``frames`` by pyahocorasick: what the C kernel must agree with."""
    found = set()
    for end, (frame, length) in _automaton().iter(lowered):
        start = end - length + 1
        if start == 0 or not lowered[start - 1].isalnum():
            found.add(frame)
    return found
