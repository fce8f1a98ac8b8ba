"""Rule evaluation: text in, tags with confidence and evidence out. No I/O."""

from collections.abc import Sequence
from typing import Literal

from newswatch.classifier.rules import Rule, TagDefinition
from newswatch.classifier.text import sentences
from newswatch.shared.contracts import Evidence, TagHit

Field = Literal["title", "summary"]


def evaluate(
    definitions: Sequence[TagDefinition],
    title: str,
    summary: str,
    language: str | None = None,
) -> list[TagHit]:
    fields: list[tuple[Field, str]] = [("title", title), ("summary", summary)]
    hits = []
    for definition in definitions:
        evidence, weights = _evidence_for(definition, fields, language)
        confidence = _noisy_or(weights.values())
        if evidence and confidence >= definition.threshold:
            hits.append(
                TagHit(tag=definition.tag, confidence=round(confidence, 3), evidence=evidence)
            )
    return hits


def _evidence_for(
    definition: TagDefinition, fields: list[tuple[Field, str]], language: str | None
) -> tuple[list[Evidence], dict[str, float]]:
    evidence: list[Evidence] = []
    weights: dict[str, float] = {}
    rules = [r for r in definition.rules if r.applies_to(language)]
    vetoes = [v for v in definition.vetoes if v.applies_to(language)]
    for field, text in fields:
        if not text:
            continue
        for offset, sentence in sentences(text):
            for rule in rules:
                for start, end in _surviving_matches(rule, vetoes, sentence):
                    evidence.append(
                        Evidence(
                            field=field,
                            start=offset + start,
                            end=offset + end,
                            text=sentence[start:end],
                            rule=f"{definition.tag}/{rule.id}",
                        )
                    )
                    # Each rule counts once: repeating one phrase is not more evidence.
                    weights[rule.id] = max(weights.get(rule.id, 0.0), rule.weight)
    return evidence, weights


def _surviving_matches(rule: Rule, vetoes: list, sentence: str) -> list[tuple[int, int]]:
    matches = [m.span() for m in rule.pattern.finditer(sentence)]
    if not matches:
        return []
    if rule.context is not None and not rule.context.search(sentence):
        return []
    if not vetoes:
        return matches
    vetoed = [(v, [m.span() for m in v.pattern.finditer(sentence)]) for v in vetoes]
    return [
        span
        for span in matches
        if not any(_cancels(v.near, veto_spans, span) for v, veto_spans in vetoed)
    ]


def _cancels(near: int | None, veto_spans: list[tuple[int, int]], span: tuple[int, int]) -> bool:
    if not veto_spans:
        return False
    if near is None:
        return True
    start, end = span
    return any(vs - near <= end and ve + near >= start for vs, ve in veto_spans)


def _noisy_or(weights: object) -> float:
    miss = 1.0
    for w in weights:  # type: ignore[attr-defined]
        miss *= 1.0 - w
    return 1.0 - miss
