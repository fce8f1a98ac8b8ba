"""Rule evaluation: text in, tags with confidence and evidence out. No I/O.

Rules are defined per sentence (a veto or a context word counts only in the
sentence of the match). For speed a rule's regex runs only on the sentences that
hold one of the literals every match of it contains (found for all rules in one
Aho-Corasick pass): real summaries run to thousands of characters, and most of
their sentences hold no word any rule needs. Where a pattern needs several words at
once (a verb and a target), it runs only on the sentences holding one of each. A rule
with no such literal runs over the whole field, its matches mapped back to their sentences.
"""

import re
from bisect import bisect_right
from collections.abc import Iterable
from functools import cache
from typing import Literal

from newswatch.classifier.language import SUPPORTED
from newswatch.classifier.prefilter import LiteralIndex, Requirement, may_match, required_groups
from newswatch.classifier.rules import Rule, Ruleset, TagDefinition, Veto
from newswatch.classifier.text import Lowered, sentences
from newswatch.shared.contracts import Evidence, TagHit

Field = Literal["title", "summary"]
OTHER_LANGUAGE_THRESHOLD = 0.95
MAX_LANGUAGES = 1000  # (tag, language) pairs whose rules are kept filtered


class Plan:
    """A ruleset made ready to evaluate, once per classifier: beside each pattern's most
    selective literal (``Rule.part_literals``), every group of literals its matches hold at
    once (``required_groups``), all found by one literal index."""

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.groups: dict[re.Pattern[str], tuple[frozenset[str], ...]] = {}
        for part in (p for d in ruleset.definitions for r in d.rules for p in r.parts):
            self.groups[part] = tuple(
                g for g in required_groups(part.pattern) if _worth_indexing(g, ruleset.index)
            )
        extra = frozenset(w for groups in self.groups.values() for g in groups for w in g)
        self.index = LiteralIndex(ruleset.index.literals | extra)
        self.unsafe = _unsafe_letters(frozenset("".join(extra)))
        self._plans = {id(r): _RulePlan(r) for d in ruleset.definitions for r in d.rules}
        self._by_language: dict[tuple[str, str | None], tuple[list[_RulePlan], list[Veto]]] = {}

    def for_language(
        self, definition: TagDefinition, language: str | None
    ) -> tuple[list["_RulePlan"], list[Veto]]:
        """The tag's rules and vetoes that apply to a language, worked out once per language."""
        key = (definition.tag, language)
        found = self._by_language.get(key)
        if found is None:
            rules = [self._plans[id(r)] for r in definition.rules if r.applies_to(language)]
            vetoes = [v for v in definition.vetoes if v.applies_to(language)]
            found = (rules, vetoes)
            if len(self._by_language) < MAX_LANGUAGES:  # items may name any language at all
                self._by_language[key] = found
        return found


class _RulePlan:
    """A rule with, for each of its literals, the patterns (parts) that need it: the parts
    to run on a text follow from the few literals it holds, not from asking every part."""

    __slots__ = ("by_literal", "indexed", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        # Every part has literals: run each only where they are (else the whole pattern).
        self.indexed = bool(rule.parts) and None not in rule.part_literals
        by_literal: dict[str, set[int]] = {}
        for i, literals in enumerate(rule.part_literals):
            for literal in literals or ():
                by_literal.setdefault(literal, set()).add(i)
        self.by_literal = {k: tuple(sorted(v)) for k, v in by_literal.items()}

    def live_parts(self, present: frozenset[str]) -> list[int]:
        """The parts whose literals ``present`` holds, in their order."""
        by_literal = self.by_literal
        found = present.intersection(by_literal)
        if len(found) == 1:
            return list(by_literal[next(iter(found))])
        return sorted({i for literal in found for i in by_literal[literal]})


def _worth_indexing(group: frozenset[str], index: LiteralIndex) -> bool:
    """Whether a group filters more than it costs: its literals are indexed already, or
    none is a short word ("in", " of ") found in most texts. Never one with a combining dot
    ("İ" lower-cases to "i" and a dot, which a match need not hold)."""
    if any("\u0307" in w for w in group):
        return False
    return group <= index.literals or all(len(w.strip()) >= 3 for w in group)


@cache
def _unsafe_letters(letters: frozenset[str]) -> re.Pattern[str] | None:
    """Letters that a case-insensitive pattern equates with one of ``letters`` but that do
    not lower-case to it ("ı" and "i", "ſ" and "s", "ᲀ" and "в"), and the capital sigma
    (lower-cased by its context): in a text holding one, a match may lack the lower-cased
    literal, so the groups are not used there. None when Python does not tell (ASCII only)."""
    try:
        from _sre import unicode_tolower
        from re._casefix import _EXTRA_CASES
    except ImportError:  # another Python: only ASCII text uses the groups
        return None
    targets = {x for letter in letters for x in _EXTRA_CASES.get(ord(letter), ())}
    unsafe = (
        {chr(c) for c in range(0x110000) if unicode_tolower(c) in targets} if targets else set()
    )
    # A character class: searched in C, where a set would hash every character of the text.
    return re.compile("[" + "".join(map(re.escape, sorted(unsafe | {"Σ", "İ"}))) + "]")


class _Text:
    """One field with the rule literals it contains; split into sentences only if a rule needs it."""

    __slots__ = ("_spans", "_starts", "at", "field", "groups", "present", "text")

    def __init__(self, field: Field, text: str, lowered: str, plan: Plan) -> None:
        self.field = field
        self.text = text
        self.at = plan.index.occurrences(lowered)
        exact = text.isascii() or (plan.unsafe is not None and not plan.unsafe.search(text))
        self.groups = plan.groups if exact else {}
        self.present = frozenset(self.at)
        if len(lowered) != len(text):  # a letter that lower-cases to two: offsets differ
            self.at = {}
        self._spans: list[tuple[int, str]] | None = None
        self._starts: list[int] = []

    @property
    def spans(self) -> list[tuple[int, str]]:
        if self._spans is None:
            self._spans = list(sentences(self.text))
            self._starts = [start for start, _ in self._spans]
        return self._spans

    def may_match(self, literals: Requirement) -> bool:
        return may_match(literals, self.present)

    def sentences_with(self, literals: frozenset[str]) -> set[int]:
        """Indices of the sentences holding one of these literals."""
        at = self.at
        return {
            self.sentence_at(position)
            for literal in literals & self.present
            for position in at[literal]
        }

    def sentence_at(self, position: int) -> int:
        self.spans  # noqa: B018 - makes sure the split exists
        return bisect_right(self._starts, position) - 1


def evaluate(
    ruleset: Ruleset | Plan,
    title: str,
    summary: str,
    language: str | None = None,
    lowered: Lowered | None = None,
) -> list[TagHit]:
    """``ruleset`` is best a ``Plan`` of it, made once. ``lowered``: the same title and
    summary lower-cased, when the caller has them."""
    plan = ruleset if isinstance(ruleset, Plan) else Plan(ruleset)
    ruleset = plan.ruleset
    lowered = lowered or Lowered(title, summary)
    fields = (("title", title, lowered.title), ("summary", summary, lowered.summary))
    texts = [_Text(f, t, low, plan) for f, t, low in fields if t]  # type: ignore[arg-type]
    # Most news carries none of the words any tag needs: the literal index says so at once.
    texts = [t for t in texts if t.may_match(ruleset.literals)]
    hits = []
    for definition in ruleset.definitions:
        gated = [t for t in texts if t.may_match(definition.literals)]
        if not gated:
            continue
        evidence, weights = _evidence_for(plan, definition, gated, language)
        confidence = _noisy_or(weights.values())
        if evidence and confidence >= _threshold(definition, language):
            hits.append(
                TagHit(tag=definition.tag, confidence=round(confidence, 3), evidence=evidence)
            )
    return hits


def _threshold(definition: TagDefinition, language: str | None) -> float:
    # The rules are written for six languages; in any other, only a sure match is a tag.
    if language is not None and language not in SUPPORTED:
        return max(definition.threshold, OTHER_LANGUAGE_THRESHOLD)
    return definition.threshold


def _evidence_for(
    plan: Plan, definition: TagDefinition, texts: list[_Text], language: str | None
) -> tuple[list[Evidence], dict[str, float]]:
    evidence: list[Evidence] = []
    weights: dict[str, float] = {}
    rules, vetoes = plan.for_language(definition, language)
    for text in texts:
        veto_spans: dict[tuple[str, int], list[tuple[int, int]]] = {}
        present = text.present
        for rule_plan in rules:
            rule = rule_plan.rule
            if not (
                may_match(rule.literals, present) and may_match(rule.context_literals, present)
            ):
                continue
            live_vetoes = None  # worked out at the first match: most rules match nothing
            for index, start, end in _matches(rule_plan, text):
                offset, sentence = text.spans[index]
                if rule.context is not None and not rule.context.search(sentence):
                    continue
                if live_vetoes is None:
                    live_vetoes = [v for v in vetoes if may_match(v.literals, present)]
                local = (start - offset, end - offset)
                if any(
                    _cancels(v, _veto_spans(v, index, sentence, veto_spans), local)
                    for v in live_vetoes
                ):
                    continue
                evidence.append(
                    Evidence(
                        field=text.field,
                        start=start,
                        end=end,
                        text=text.text[start:end],
                        rule=f"{definition.tag}/{rule.id}",
                    )
                )
                # Each rule counts once: repeating one phrase is not more evidence.
                weights[rule.id] = max(weights.get(rule.id, 0.0), rule.weight)
    return evidence, weights


def _matches(rule_plan: _RulePlan, text: _Text) -> Iterable[tuple[int, int, int]]:
    """(sentence index, start, end) of the rule's matches, each inside one sentence."""
    rule = rule_plan.rule
    if rule_plan.indexed and text.at:
        context = None
        if rule.context_literals is not None:  # the context must be in the same sentence
            context = text.sentences_with(rule.context_literals)
        # The usual case: of a rule's many patterns, one or two have a literal here.
        for i in rule_plan.live_parts(text.present):
            part, literals = rule.parts[i], rule.part_literals[i]
            groups = text.groups.get(part)
            if groups:  # a sentence holding one literal of each group, or none can match
                if any(g.isdisjoint(text.present) for g in groups):
                    continue
                indices = set.intersection(*(text.sentences_with(g) for g in groups))
            else:
                indices = text.sentences_with(literals)  # type: ignore[arg-type]
            if context is not None:
                indices &= context
            for index in sorted(indices):
                if index < 0:
                    continue
                offset, sentence = text.spans[index]
                for match in part.finditer(sentence):
                    yield index, offset + match.start(), offset + match.end()
        return
    for match in rule.pattern.finditer(text.text):
        start, end = match.span()
        index = text.sentence_at(start)
        if index < 0:
            continue
        offset, sentence = text.spans[index]
        if end <= offset + len(sentence):
            yield index, start, end
        else:  # the match ran into the next sentence: look again within this one only
            for local in rule.pattern.finditer(sentence, start - offset):
                yield index, offset + local.start(), offset + local.end()


def _veto_spans(
    veto: Veto, index: int, sentence: str, cache: dict[tuple[str, int], list[tuple[int, int]]]
) -> list[tuple[int, int]]:
    key = (veto.id, index)
    if key not in cache:
        cache[key] = [m.span() for m in veto.pattern.finditer(sentence)]
    return cache[key]


def _cancels(veto: Veto, veto_spans: list[tuple[int, int]], span: tuple[int, int]) -> bool:
    if not veto_spans:
        return False
    if veto.near is None:
        return True
    start, end = span
    return any(vs - veto.near <= end and ve + veto.near >= start for vs, ve in veto_spans)


def _noisy_or(weights: Iterable[float]) -> float:
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return 1.0 - miss
