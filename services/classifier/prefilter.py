"""Literal prefilters for rule patterns: which substrings a match cannot do without.

For a pattern such as ``\\b(missile|drone)[- ]strikes?\\b`` every match contains
"missile" or "drone" (and " strike"): if neither is in the lower-cased text, the
regex need not run. That cheap ``in`` test is what lets the classifier dismiss
most items in microseconds. The analysis is conservative: where it cannot prove
a requirement it returns None and the regex always runs.
"""

import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import ahocorasick

from newswatch.classifier.kernel import native_automaton

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as c
    import sre_parse

MIN_LITERAL = 3  # shorter literals ("at", "on") are in nearly every text: no use as a filter

Requirement = frozenset[str] | None  # any one of these must occur; None: no usable requirement


class LiteralIndex:
    """Which of many literals occur in a lower-cased text, found in one pass (Aho-Corasick).

    A regex alternation of a few hundred literals costs tens of microseconds per
    field in Python's ``re``; the automaton reports every occurrence, overlapping
    ones included, in a few. The C kernel's automaton answers where it is built
    (``kernel.py``); pyahocorasick, the reference, elsewhere or when ``native`` is False.
    Both offer the same four questions, bound here once (no call in between):

    - ``present(text)``: the literals that occur, a frozenset;
    - ``any_in(text)``: whether any does (stops at the first);
    - ``occurrences(text)``: each literal that occurs -> the offsets where it starts;
    - ``word_starts(text)``: the literals occurring at the start of a word (after no
      letter or digit), a set.
    """

    present: Callable[[str], frozenset[str]]
    any_in: Callable[[str], bool]
    occurrences: Callable[[str], dict[str, list[int]]]
    word_starts: Callable[[str], set[str]]

    def __init__(self, literals: Iterable[str], native: bool = True) -> None:
        self.literals = frozenset(literals)
        search = native_automaton(self.literals) if native else None
        if search is None:
            search = _ReferenceAutomaton(self.literals)
        self.present, self.any_in = search.present, search.any_in
        self.occurrences, self.word_starts = search.occurrences, search.word_starts


class _ReferenceAutomaton:
    """``LiteralIndex``'s questions answered by pyahocorasick."""

    def __init__(self, literals: frozenset[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for literal in literals:
            self._automaton.add_word(literal, literal)
        self._empty = not literals
        if not self._empty:
            self._automaton.make_automaton()

    def _found(self, lowered: str) -> Iterator[tuple[int, str]]:
        """(start, literal) of every occurrence, by end position."""
        if not self._empty:
            for end, literal in self._automaton.iter(lowered):
                yield end - len(literal) + 1, literal

    def present(self, lowered: str) -> frozenset[str]:
        return frozenset(literal for _, literal in self._found(lowered))

    def any_in(self, lowered: str) -> bool:
        return next(self._found(lowered), None) is not None

    def occurrences(self, lowered: str) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for start, literal in self._found(lowered):
            found.setdefault(literal, []).append(start)
        return found

    def word_starts(self, lowered: str) -> set[str]:
        return {
            literal
            for start, literal in self._found(lowered)
            if start == 0 or not lowered[start - 1].isalnum()
        }


def may_match(requirement: Requirement, present: frozenset[str]) -> bool:
    """False when a text lacks every literal a pattern needs: the regex cannot match it."""
    return requirement is None or not requirement.isdisjoint(present)


def required_literals(pattern: str) -> Requirement:
    """Lower-cased literals one of which every match of ``pattern`` contains, or None."""
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return None
    return _sequence(_ops(parsed))


def required_groups(pattern: str) -> tuple[frozenset[str], ...]:
    """Every requirement a match meets at once: it holds one literal of each group.

    ``required_literals`` keeps the most selective one; a pattern such as
    ``\\b(hits?|strikes?) on (the )?(base|bridge)`` needs a verb and a target, and a text
    lacking either cannot match. Empty when nothing can be proven.
    """
    try:
        parsed = sre_parse.parse(pattern, re.IGNORECASE)
    except (re.error, RecursionError):
        return ()
    groups: list[frozenset[str]] = []
    _collect(_ops(parsed), groups)
    return tuple(dict.fromkeys(groups))


def _collect(items: list[tuple[Any, Any]], groups: list[frozenset[str]]) -> None:
    """The groups of a sequence: its runs of literals and what each mandatory item needs."""
    run: list[str] = []

    def close_run() -> None:
        if len(run) >= MIN_LITERAL:
            groups.append(frozenset({"".join(run)}))
        run.clear()

    for op, arg in items:
        if op is c.LITERAL:
            run.append(chr(arg).lower())
            continue
        if op is c.AT:
            continue
        if op is c.BRANCH and run and (endings := _literal_alternatives(arg)):
            joined = frozenset("".join(run) + ending for ending in endings)
            if min(map(len, joined)) >= MIN_LITERAL:
                groups.append(joined)
            run.clear()
            continue
        close_run()
        if op is c.SUBPATTERN:
            _collect(_ops(arg[-1]), groups)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
            if arg[0] >= 1:
                _collect(_ops(arg[2]), groups)
        elif op is getattr(c, "ATOMIC_GROUP", None):
            _collect(_ops(arg), groups)
        elif (requirement := _item(op, arg)) is not None:
            groups.append(requirement)
    close_run()


def _better(a: Requirement, b: Requirement) -> Requirement:
    """The more selective of two requirements that both hold."""
    if a is None:
        return b
    if b is None:
        return a

    def key(r: frozenset[str]) -> tuple[int, int]:
        return min(map(len, r)), -len(r)

    return a if key(a) >= key(b) else b


def _sequence(items: list[tuple[Any, Any]]) -> Requirement:
    best: Requirement = None
    run: list[str] = []

    def close_run() -> None:
        nonlocal best
        if len(run) >= MIN_LITERAL:
            best = _better(best, frozenset({"".join(run)}))
        run.clear()

    for op, arg in items:
        if op is c.LITERAL:
            run.append(chr(arg).lower())
            continue
        if op is c.AT:  # \b, ^, $: zero-width, the run of literals goes on
            continue
        if op is c.BRANCH and run and (endings := _literal_alternatives(arg)):
            # sre_parse factors prefixes out: "OKs|OKed" is "OK" then ("s" | "ed").
            joined = frozenset("".join(run) + ending for ending in endings)
            if min(map(len, joined)) >= MIN_LITERAL:
                best = _better(best, joined)
            run.clear()
            continue
        close_run()
        best = _better(best, _item(op, arg))
    close_run()
    return best


def _literal_alternatives(arg: object) -> list[str] | None:
    """The alternatives of a branch when each is plain literal text, else None."""
    endings = []
    for branch in arg[1]:  # type: ignore[index]
        if not all(op is c.LITERAL for op, _ in branch):
            return None
        endings.append("".join(chr(code).lower() for _, code in branch))
    return endings


def _ops(pattern: Any) -> list[tuple[Any, Any]]:
    """A parsed pattern's (opcode, argument) pairs: sre_parse's types are not public."""
    return list(pattern)


def _item(op: object, arg: Any) -> Requirement:
    if op is c.SUBPATTERN:
        return _sequence(_ops(arg[-1]))
    if op is c.BRANCH:
        alternatives = [_sequence(_ops(branch)) for branch in arg[1]]
        found = [a for a in alternatives if a is not None]
        if len(found) < len(alternatives):
            return None  # one branch needs nothing, so the group needs nothing
        return frozenset().union(*found)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
        low, _high, inner = arg
        return _sequence(_ops(inner)) if low >= 1 else None
    if op is getattr(c, "ATOMIC_GROUP", None):
        return _sequence(_ops(arg))
    return None  # character classes, lookarounds, backreferences: no literal to rely on
