"""Rules and model, one verdict per tag. Pure.

Per tag the model either confirms a rule's hit (its probability at least the tag's
``confirm`` threshold, ``body`` for a hit outside the headline), overrules it (below), or
tags alone when it is sure (at least ``alone``); a tag the model was not trained for keeps
the rules' verdict. Every tag keeps its evidence: the rules' spans, or for the model the
sentence that drove it and the terms that weighed most.
"""

import itertools
import re
from collections.abc import Callable

from newswatch.classifier.features import LEAD_CHARS, lead_text
from newswatch.classifier.framing import frames, not_done
from newswatch.classifier.model import TagModel, Thresholds
from newswatch.classifier.text import Lowered, sentences
from newswatch.shared.contracts import Evidence, TagHit


def combine(
    tags: list[str],
    rule_hits: list[TagHit],
    model: TagModel,
    title: str,
    summary: str,
    lowered_confidence: float = 0.0,
    lowered: Lowered | None = None,
    vetoed: Callable[[str], bool] | None = None,
) -> list[TagHit]:
    """``lowered_confidence``: how much higher the model must be alone (languages the
    rules were not written for get a stricter bar from the caller). ``lowered``: the title
    and summary lower-cased, when the caller has them. ``vetoed(tag)``: whether the item
    holds one of the tag's vetoes (asked only when the model would tag alone)."""
    by_tag = {hit.tag: hit for hit in rule_hits}
    probability = model.gated(title, summary, lowered)
    if probability is None:  # about none of the model's words: the rules' verdict stands
        return list(rule_hits)
    combined = []
    for tag in tags:
        hit = by_tag.get(tag)
        if tag not in probability:
            if hit is not None:
                combined.append(hit)
            continue
        p = probability[tag]
        thresholds = model.thresholds[tag]
        if hit is not None:
            is_framed = framed(hit, title, summary)
            if is_framed or title.strip():
                floor = thresholds.rule_floor(is_framed, in_headline(hit))
            else:
                # The model learnt and was calibrated on items with a headline, which carry
                # much of its weight; on a bare text it may add tags but not overrule a rule.
                floor = 0.0
            if p < floor:
                # The model reads only the lead: beyond it, ask it about the rule's own sentences.
                p = max(p, _beyond_the_lead(model, tag, hit, title, summary))
            if p >= floor:
                combined.append(
                    hit.model_copy(update={"confidence": round(max(hit.confidence, p), 3)})
                )
        elif p >= thresholds.alone + lowered_confidence and p >= min(
            0.99,
            alone_bar(tag, thresholds, title, summary, vetoed is not None and vetoed(tag))
            + lowered_confidence,
        ):
            driver = model.driver(tag, title, summary)
            text = title if driver.field == "title" else summary
            evidence = Evidence(
                field=driver.field,  # type: ignore[arg-type]
                start=driver.start,
                end=driver.end,
                text=text[driver.start : driver.end],
                rule=f"{tag}/model",
                terms=list(driver.terms),
            )
            combined.append(TagHit(tag=tag, confidence=round(p, 3), evidence=[evidence]))
    return combined


def in_headline(hit: TagHit) -> bool:
    """Did the rules find this hit in the title? (Else only in the summary: ``body``.)"""
    return any(e.field == "title" for e in hit.evidence)


def lead_framed(tag: str, title: str, summary: str) -> bool:
    """Is the title or the lead framed as something not done, for this tag?"""
    return not not_done(tag).isdisjoint(frames(lead_text(title, summary).lower()))


def alone_bar(
    tag: str, thresholds: Thresholds, title: str, summary: str, vetoed: bool = False
) -> float:
    """The model's bar to tag alone: higher when the lead is framed as not done, or when
    the item holds one of the tag's vetoes."""
    bar = thresholds.alone
    if thresholds.alone_framed > bar and lead_framed(tag, title, summary):
        bar = thresholds.framed_alone
    if vetoed:
        bar = max(bar, thresholds.alone_vetoed)
    return bar


def framed(hit: TagHit, title: str, summary: str) -> bool:
    """Is the title, or a summary sentence the rule matched in, framed as something not done?
    Where the rule matched in the title, only the title's clauses it matched in count: a
    live blog's headline joins its news with other clauses ("Russia hits mines in Donetsk,
    Zelensky could meet Orban"), whose "could" frames the meeting, not the strike."""
    in_title = {e.start for e in hit.evidence if e.field == "title"}
    starts = {e.start for e in hit.evidence if e.field == "summary"}
    text = _clauses_holding(title, in_title) if in_title else [title]
    if starts:
        text += [
            sentence
            for offset, sentence in sentences(summary)
            if any(offset <= start < offset + len(sentence) for start in starts)
        ]
    return not not_done(hit.tag).isdisjoint(frames("\n".join(text).lower()))


# Where a headline's clauses part: a comma, or a sentence's end, before a space; not the
# period of an initial ("U.S. strikes"). Not a colon or a dash: "Analysis: ..." and
# "Opinion — ..." frame all that follows them.
_CLAUSE_BREAK = re.compile(r"(?:[,;!?|]|(?<!\b[A-Z])\.)(?=\s)")


def _clauses_holding(title: str, starts: set[int]) -> list[str]:
    """The clauses of a title that hold one of these offsets."""
    bounds = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(title)), len(title) + 1]
    return [title[a:b] for a, b in itertools.pairwise(bounds) if any(a <= s < b for s in starts)]


def _beyond_the_lead(model: TagModel, tag: str, hit: TagHit, title: str, summary: str) -> float:
    """The model's probability for ``tag`` on the title and each summary sentence past the
    lead that holds the rule's evidence (0 when all the evidence is within the lead)."""
    starts = {e.start for e in hit.evidence if e.field == "summary" and e.end > LEAD_CHARS}
    best = 0.0
    for offset, sentence in sentences(summary):
        if any(offset <= start < offset + len(sentence) for start in starts):
            best = max(best, model.probabilities(title, sentence)[tag])
    return best
