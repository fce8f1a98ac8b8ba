"""Framing cues: is the item reporting an event, or a threat, plan, call, opinion, case,
test or anniversary? The cue lexicon is data (``framing.yaml``); this module only finds
which classes occur, in one Aho-Corasick pass per field. Pure."""

from functools import cache
from importlib import resources

import ahocorasick
import yaml


@cache
def _automaton() -> ahocorasick.Automaton:
    lexicon = yaml.safe_load(
        (resources.files("newswatch.classifier") / "framing.yaml").read_text("utf-8")
    )
    automaton = ahocorasick.Automaton()
    for frame, cues in sorted(lexicon.items()):
        for cue in cues:
            automaton.add_word(str(cue).lower(), str(frame))
    automaton.make_automaton()
    return automaton


def frames(lowered: str) -> set[str]:
    """The framing classes whose cues occur in a lower-cased text."""
    return {frame for _, frame in _automaton().iter(lowered)}
