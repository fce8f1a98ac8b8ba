"""`newswatch train`: fit the model beside the rules from labelled JSON lines.

Deterministic: the same files give the same artifact, byte for byte (liblinear with a
fixed seed, folds chosen by a hash of each item's id, sorted vocabulary, gzip without
a timestamp).

Thresholds are calibrated on items the model did not learn from: out-of-fold
probabilities of the training items (each scored by a model that did not see it), and
beside them a calibration set when one is given (real news: ``make model`` passes
``../shared/eval/real_dev.jsonl``), which decides among the settings the training items find
equally good. Each item is scored beside the rules' verdict on it; ``calibration.py`` picks
each tag's thresholds.
"""

import hashlib
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from newswatch.classifier.calibration import calibrate
from newswatch.classifier.combine import lead_framed
from newswatch.classifier.evaluation import Example
from newswatch.classifier.features import features, gate_literal, lead_text
from newswatch.classifier.model import TagModel, Thresholds
from newswatch.classifier.prefilter import LiteralIndex

if TYPE_CHECKING:  # scikit-learn and scipy load only when training runs
    from scipy.sparse import csr_matrix

FOLDS = 5
MIN_COUNT = 2  # a feature seen once is more likely noise than signal
MIN_POSITIVES = 8  # fewer examples than this: the tag stays rules-only
GATE_WEIGHT = 0.5  # logit units: lighter literals rarely lift an item alone (checked below)


@dataclass(frozen=True, slots=True)
class TrainingReport:
    model: TagModel
    examples: int
    per_tag: dict[str, dict[str, float]]  # calibration precision / recall / F1 per tag
    calibrated_on: str
    skipped_tags: list[str]  # tags with too few examples for a model


def train(
    examples: Sequence[Example],
    tags: Sequence[str],
    rule_hits: Sequence[Mapping[str, bool]],
    c: float = 2.0,
    calibration: Sequence[Example] = (),
    calibration_hits: Sequence[Mapping[str, bool]] = (),
    vetoed: Sequence[frozenset[str]] = (),
    calibration_vetoed: Sequence[frozenset[str]] = (),
    in_body: Sequence[frozenset[str]] = (),
    calibration_in_body: Sequence[frozenset[str]] = (),
) -> TrainingReport:
    """Fit one logistic model per tag that has enough positives. ``rule_hits[i]`` maps
    each tag the rules give ``examples[i]`` to whether its hit is framed as not done
    (``combine.framed``); likewise ``calibration_hits``. ``vetoed[i]``: the tags whose
    vetoes ``examples[i]`` holds (``veto_flags``); without them no veto bar is set.
    ``in_body[i]``: the tags the rules found outside the title only (``rule_outcomes``);
    without them no floor of its own is set for such hits."""
    # The order of the files must not matter: liblinear's result depends on the row order.
    order = sorted(range(len(examples)), key=lambda i: examples[i].id)
    examples = [examples[i] for i in order]
    rule_hits = [rule_hits[i] for i in order]
    vetoed = [vetoed[i] for i in order] if vetoed else []
    in_body = [in_body[i] for i in order] if in_body else []
    found = [features(e.title, e.summary) for e in examples]
    counts: dict[str, int] = {}
    for item in found:
        for name in item:
            counts[name] = counts.get(name, 0) + 1
    names = sorted(n for n, k in counts.items() if k >= MIN_COUNT)
    index = {n: i for i, n in enumerate(names)}
    x = _matrix(found, index)
    folds = np.array([_fold(e.id) for e in examples])
    held_out_x = _matrix([features(e.title, e.summary) for e in calibration], index)

    modelled = [t for t in tags if sum(t in e.tags for e in examples) >= MIN_POSITIVES]
    weights = np.zeros((len(names), len(modelled)))
    intercepts = np.zeros(len(modelled))
    thresholds: dict[str, Thresholds] = {}
    per_tag: dict[str, dict[str, float]] = {}
    # liblinear lets go of the GIL while it fits: a tag's six fits share the cores.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for column, tag in enumerate(modelled):
            y = np.array([tag in e.tags for e in examples], dtype=int)
            final, held_out = _fit_with_folds(pool, x, y, folds, c)
            truth = y.astype(bool)
            rules = np.array([tag in hits for hits in rule_hits], dtype=bool)
            framing = np.array([hits.get(tag, False) for hits in rule_hits], dtype=bool)
            lead = np.array([lead_framed(tag, e.title, e.summary) for e in examples], dtype=bool)
            veto = np.array([tag in v for v in vetoed], dtype=bool) if vetoed else None
            body = np.array([tag in b for b in in_body], dtype=bool) if in_body else None
            if calibration:  # beside the training items, scored by the final model
                held_out = np.concatenate([held_out, final.predict_proba(held_out_x)[:, 1]])
                truth = np.concatenate([truth, [tag in e.tags for e in calibration]])
                rules = np.concatenate([rules, [tag in hits for hits in calibration_hits]])
                framing = np.concatenate([framing, [h.get(tag, False) for h in calibration_hits]])
                lead = np.concatenate(
                    [lead, [lead_framed(tag, e.title, e.summary) for e in calibration]]
                )
                if veto is not None:
                    veto = np.concatenate([veto, [tag in v for v in calibration_vetoed]])
                if body is not None:
                    body = np.concatenate([body, [tag in b for b in calibration_in_body]])
            from_calibration = np.arange(len(truth)) >= len(examples)
            thresholds[tag], per_tag[tag] = calibrate(
                held_out, rules, framing, lead, truth, veto, body, from_calibration
            )
            weights[:, column] = final.coef_[0]
            intercepts[column] = final.intercept_[0]

    keep = np.abs(weights).max(axis=1) >= 1e-4 if modelled else np.zeros(len(names), dtype=bool)
    kept = [n for n, k in zip(names, keep, strict=True) if k]
    vocabulary = {n: i for i, n in enumerate(kept)}
    info = {"examples": len(examples), "features": len(kept), "c": c}
    # Only asked for probabilities while the gate is chosen: no version of its own to compute.
    ungated = TagModel(
        modelled, vocabulary, weights[keep], intercepts, thresholds, info, version="ungated"
    )
    gate = _gate(
        ungated,
        weights[keep],
        kept,
        [*examples, *calibration],
        [*rule_hits, *calibration_hits],
        [*in_body, *calibration_in_body] if in_body else [],
    )
    model = TagModel(modelled, vocabulary, weights[keep], intercepts, thresholds, info, gate)
    skipped = [t for t in tags if t not in modelled]
    where = "out-of-fold training items" + (
        f" and {len(calibration)} calibration items" if calibration else ""
    )
    return TrainingReport(model, len(examples), per_tag, where, skipped)


def _matrix(found: list[set[str]], index: dict[str, int]) -> "csr_matrix":
    from scipy.sparse import csr_matrix

    rows, cols = [], []
    for r, item in enumerate(found):
        for name in item:
            if (i := index.get(name)) is not None:
                rows.append(r)
                cols.append(i)
    return csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(found), len(index)))


def _gate(
    model: TagModel,
    weights: np.ndarray,
    names: list[str],
    examples: Sequence[Example],
    rule_hits: Sequence[Mapping[str, bool]],
    in_body: Sequence[frozenset[str]],
) -> list[str]:
    """Literals one of which every item the model has a say on holds.

    The words and stems weighing at least ``GATE_WEIGHT`` for some tag; then every
    training item without any of them where the model would matter (it tags alone, or
    overrules a rule's hit: ``in_body`` says which floor that hit needs) adds its own
    heaviest literal, so that on the training data the gate changes no verdict. A tight
    gate is speed: an item it rejects skips the model.
    """
    if weights.size == 0:
        return []
    usable = [
        i for i, n in enumerate(names) if len(gate_literal(n)) >= 4 and "#" not in gate_literal(n)
    ]
    gate = {gate_literal(names[i]) for i in usable if weights[i].max() >= GATE_WEIGHT}
    weight_of = _usable_pairs([(weights[i].max(), gate_literal(names[i])) for i in usable])
    index = LiteralIndex(gate)
    bodies = in_body or [frozenset()] * len(examples)
    for e, hits, body in zip(examples, rule_hits, bodies, strict=True):
        text = lead_text(e.title, e.summary).lower()
        if index.any_in(text):
            continue
        probability = model.probabilities(e.title, e.summary)
        th = model.thresholds
        if any(
            probability[t] >= th[t].alone * 0.8
            or (t in hits and probability[t] < 1.25 * th[t].rule_floor(hits[t], t not in body))
            for t in model.tags
        ):
            present = [lit for lit in weight_of if lit in text]
            if present:
                gate.add(max(present, key=weight_of.__getitem__))
                index = LiteralIndex(gate)
    return sorted(gate)


def _usable_pairs(usable: list[tuple[float, str]]) -> dict[str, float]:
    best: dict[str, float] = {}
    for w, literal in usable:
        best[literal] = max(best.get(literal, w), w)
    return best


def _fit_with_folds(pool: ThreadPoolExecutor, x, y: np.ndarray, folds: np.ndarray, c: float):
    """The model fitted on every row, and each row's probability from the model fitted
    without its fold (out of fold), the six fits at once on the pool. Each fit sees the
    rows it would see alone, so the result does not depend on the pool."""
    final = pool.submit(_fit, x, y, c)
    by_fold = [pool.submit(_fit, x[folds != k], y[folds != k], c) for k in range(FOLDS)]
    held_out = np.zeros(len(y))
    for fold, fitted in enumerate(by_fold):
        rows = folds == fold
        held_out[rows] = fitted.result().predict_proba(x[rows])[:, 1]
    return final.result(), held_out


def _fit(x, y, c: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="liblinear", random_state=0, max_iter=1000).fit(x, y)


def _fold(item_id: str) -> int:
    return int(hashlib.sha256(item_id.encode()).hexdigest(), 16) % FOLDS


def rule_outcomes(
    rules_only, examples: Sequence[Example]
) -> tuple[list[dict[str, bool]], list[frozenset[str]]]:
    """In one pass of the rules alone (``rules_only``: a model-less Classifier) over the
    examples: each one's tags, each with whether its hit is framed as something not done
    (``combine.framed``), as ``train`` takes them in ``rule_hits``; and the tags found on
    evidence outside the title only (``in_body``)."""
    from newswatch.classifier.combine import framed, in_headline
    from newswatch.shared.text import clean_text

    verdicts, in_body = [], []
    for e in examples:
        title, summary = clean_text(e.title), clean_text(e.summary)
        hits = rules_only.classify(title, summary, e.lang).tags
        verdicts.append({h.tag: framed(h, title, summary) for h in hits})
        in_body.append(frozenset(h.tag for h in hits if not in_headline(h)))
    return verdicts, in_body


def veto_flags(rules_only, examples: Sequence[Example]) -> list[frozenset[str]]:
    """The tags whose vetoes each example's title or lead holds (``TagDefinition.vetoed``)."""
    from newswatch.shared.text import clean_text

    return [
        frozenset(
            d.tag
            for d in rules_only.definitions
            if d.vetoed(lead_text(clean_text(e.title), clean_text(e.summary)), e.lang)
        )
        for e in examples
    ]


def render(report: TrainingReport) -> str:
    lines = [
        f"trained on {report.examples} examples, "
        f"{report.model.trained_on.get('features')} features; model {report.model.version}",
        "",
        f"thresholds calibrated on {report.calibrated_on}:",
        f"{'tag':22} {'alone':>6} {'framed':>7} {'vetoed':>7} {'confirm':>8} {'body':>6} "
        f"{'framed':>7}   "
        f"{'P':>5} {'R':>5} {'F1':>5}",
    ]
    for tag, scores in report.per_tag.items():
        th = report.model.thresholds[tag]
        lines.append(
            f"{tag:22} {th.alone:6.3f} {th.framed_alone:7.3f} "
            f"{max(th.alone, th.alone_vetoed):7.3f} {th.confirm:8.3f} {th.body_floor:6.3f} "
            f"{th.framed_floor:7.3f}   "
            f"{scores['precision']:5.3f} "
            f"{scores['recall']:5.3f} {scores['f1']:5.3f}"
        )
    if report.skipped_tags:
        lines += [
            "",
            f"rules only (fewer than {MIN_POSITIVES} examples): " + ", ".join(report.skipped_tags),
        ]
    return "\n".join(lines)
