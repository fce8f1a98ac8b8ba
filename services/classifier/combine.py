"""Rules and model, one verdict per tag. Pure.

Per tag the model either confirms a rule's hit (its probability at least the tag's
``confirm`` threshold), overrules it (below), or tags alone when it is sure (at least
``alone``); a tag the model was not trained for keeps the rules' verdict. Every tag
keeps its evidence: the rules' spans, or for the model the sentence that drove it and
the terms that weighed most.
"""

from newswatch.classifier.model import TagModel
from newswatch.shared.contracts import Evidence, TagHit


def combine(
    tags: list[str],
    rule_hits: list[TagHit],
    model: TagModel,
    title: str,
    summary: str,
    lowered_confidence: float = 0.0,
) -> list[TagHit]:
    """``lowered_confidence``: how much higher the model must be alone (languages the
    rules were not written for get a stricter bar from the caller)."""
    by_tag = {hit.tag: hit for hit in rule_hits}
    probability = model.probabilities(title, summary)
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
            if p >= thresholds.confirm:
                combined.append(
                    hit.model_copy(update={"confidence": round(max(hit.confidence, p), 3)})
                )
        elif p >= min(0.99, thresholds.alone + lowered_confidence):
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
