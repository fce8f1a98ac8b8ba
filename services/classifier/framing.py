"""Framing cues: is the item reporting an event, or a threat, plan, call, opinion, case,
test or anniversary? The cue lexicon is data (``framing.yaml``); this module only finds
which classes occur, in one Aho-Corasick pass per field. Pure."""

from functools import cache
from importlib import resources

import ahocorasick
import yaml


@cache
def _lexicon() -> dict:
    return yaml.safe_load(
        (resources.files("newswatch.classifier") / "framing.yaml").read_text("utf-8")
    )


@cache
def _automaton() -> ahocorasick.Automaton:
    lexicon = {k: v for k, v in _lexicon().items() if k != "only_for"}
    automaton = ahocorasick.Automaton()
    for frame, cues in sorted(lexicon.items()):
        for cue in cues:
            cue = str(cue).lower()
            automaton.add_word(cue, (str(frame), len(cue)))
    automaton.make_automaton()
    return automaton


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
    found = set()
    for end, (frame, length) in _automaton().iter(lowered):
        start = end - length + 1
        if start == 0 or not lowered[start - 1].isalnum():
            found.add(frame)
    return found
