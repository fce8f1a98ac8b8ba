"""The learned half of the classifier: a linear model over words, word stems and word pairs.

Pure and light: inference is a dictionary look-up per feature and a dot product, with
no machine-learning library at run time (``training.py`` uses scikit-learn to fit the
weights; this module only reads them). The rules give evidence and precision; the
model gives recall on phrasings no rule foresaw, in any language it has examples of.

The features it reads are defined in ``features.py``.

Most news is about none of the tags. A gate of literals (the words and stems that carry
real positive weight, chosen at training time) is looked for in one Aho-Corasick pass;
an item holding none of them cannot reach a threshold and skips the features.

The artifact (``model.json.gz``, written by ``newswatch train``) holds the vocabulary
with one weight per tag, the intercepts, each tag's thresholds and a version derived
from its content, so the classifier's version changes with the model.
"""

import copy
import gzip
import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from newswatch.classifier.features import (
    LEAD_CHARS,
    features,
    lowered_words,
    mark_bits,
    words,
)
from newswatch.classifier.framing import frames
from newswatch.classifier.kernel import native_logits
from newswatch.classifier.prefilter import LiteralIndex
from newswatch.classifier.text import Lowered
from newswatch.shared.errors import ConfigError

MODEL_FILE = "model.json.gz"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the model's probability turns a tag on, alone or beside the rules.

    ``alone``: the model tags by itself at or above this. ``confirm``: a rule's hit
    stands only if the model gives at least this (a low floor: it vetoes rule hits the
    model finds absurd). ``framed``: the same floor where the title or the rule's sentence
    is framed as something not done (a threat, plan, call, proposal, opinion, evasion
    case, test or anniversary: ``framing.NOT_DONE``), where rules misfire most.
    ``alone_vetoed``: ``alone`` for an item holding one of the tag's vetoes (a labour
    strike, a club's protest, a sanctions threat: ``TagDefinition.vetoed``). ``body``:
    ``confirm`` for a hit the rules found only in the summary, not the headline: there
    the rules mostly misfire on background paragraphs (an earlier strike recalled, a
    sanctions package explained), which the headline of a real report seldom does.
    """

    alone: float
    confirm: float
    framed: float = -1.0  # -1: as ``confirm`` (models written before it existed)
    alone_framed: float = -1.0  # ``alone`` for an item whose title or lead is so framed
    alone_vetoed: float = -1.0  # -1: as ``alone`` (models written before it existed)
    body: float = -1.0  # -1: as ``confirm`` (models written before it existed)

    @property
    def framed_floor(self) -> float:
        return self.confirm if self.framed < 0 else self.framed

    @property
    def body_floor(self) -> float:
        return self.confirm if self.body < 0 else self.body

    def rule_floor(self, framed: bool, in_headline: bool) -> float:
        """What the model must give a rule's hit for it to stand: framed as not done, or
        found in the headline, or only in the summary."""
        if framed:
            return self.framed_floor
        return self.confirm if in_headline else self.body_floor

    @property
    def framed_alone(self) -> float:
        return max(self.alone, self.alone_framed)

    def to_json(self) -> dict[str, float]:
        body = {
            "alone": self.alone,
            "confirm": self.confirm,
            "framed": self.framed,
            "alone_framed": self.alone_framed,
        }
        if self.alone_vetoed >= 0:  # absent from older models, whose version must not change
            body["alone_vetoed"] = self.alone_vetoed
        if self.body >= 0:  # likewise
            body["body"] = self.body
        return body


@dataclass(frozen=True, slots=True)
class Driver:
    """Why the model scored a tag: the sentence that scores highest and its top terms."""

    field: str
    start: int
    end: int
    terms: tuple[str, ...]


class TagModel:
    """Per-tag logistic scores from a trained vocabulary. Immutable once loaded."""

    def __init__(
        self,
        tags: Sequence[str],
        vocabulary: dict[str, int],
        weights: np.ndarray,
        intercepts: Sequence[float] | np.ndarray,
        thresholds: dict[str, Thresholds],
        trained_on: Mapping[str, object] | None = None,
        gate: Sequence[str] = (),
        version: str | None = None,
    ) -> None:
        """``version``: the fingerprint of ``to_json()``, when the caller has it already."""
        self.tags = tuple(tags)
        self._vocabulary = vocabulary
        self._weights = np.asarray(weights, dtype=np.float64)  # (features, tags)
        self._intercepts = np.asarray(intercepts, dtype=np.float64)
        self.thresholds = thresholds
        self.trained_on = dict(trained_on or {})
        self._by_kind = _split_by_kind(vocabulary)
        # The C kernel's scoring of an item, or None where it is not built: Python's then.
        self._native = native_logits(self._by_kind, self._weights, self._intercepts, mark_bits())
        self.gate = tuple(sorted(set(gate)))
        self._gate = LiteralIndex(self.gate) if self.gate else None
        self.version = version or _fingerprint(self.to_json())

    def gated(
        self, title: str, summary: str, lowered: Lowered | None = None
    ) -> dict[str, float] | None:
        """The probabilities, or None when the item holds none of the gate's literals: the
        model then has nothing to say (it neither tags alone nor overrules a rule).
        ``lowered``: the same title and summary lower-cased, when the caller has them."""
        lowered = lowered or Lowered(title, summary)
        lead = lowered.head(LEAD_CHARS)
        if self._gate is not None and not self._gate.any_in(f"{lowered.title}\n{lead}"):
            return None
        return self._scores(lowered.title, lead)

    def probabilities(self, title: str, summary: str) -> dict[str, float]:
        return self._scores(title.lower(), summary[:LEAD_CHARS].lower())

    def reference(self) -> "TagModel":
        """This model scoring in Python only (what the C kernel must agree with)."""
        twin = copy.copy(self)
        twin._native = None
        return twin

    def _scores(self, title: str, lead: str) -> dict[str, float]:
        """The probabilities for a lower-cased title and lead."""
        if self._native is None:
            return self._probabilities(self._rows_of(title, lead))
        logits = self._native(
            title, lead, [r for r in self._frame_rows(title, lead) if r is not None]
        )
        return {tag: _sigmoid(z) for tag, z in zip(self.tags, logits, strict=True)}

    def _probabilities(self, rows: list[int]) -> dict[str, float]:
        logits = self._intercepts
        if rows:  # a take of an index array: a tenth of the cost of indexing with a list
            rows_array = np.fromiter(rows, dtype=np.intp, count=len(rows))
            logits = logits + self._weights.take(rows_array, axis=0).sum(axis=0)
        return {tag: _sigmoid(z) for tag, z in zip(self.tags, logits.tolist(), strict=True)}

    def _rows_of(self, title: str, lead: str) -> list[int]:
        """The vocabulary rows of ``features`` for a lower-cased title and lead, without
        building its strings: the hot path of the model. Each kind of feature is the
        intersection of the vocabulary's keys with the item's (a set operation in C), then a
        look-up per feature found."""
        words, stems, pairs, title_words, _, _ = self._by_kind
        title_list = lowered_words(title)
        lead_list = lowered_words(lead)
        unique = {*title_list, *lead_list}
        found = {*map(words.get, words.keys() & unique)}
        found.update(map(title_words.get, title_words.keys() & title_list))
        found.update(map(stems.get, stems.keys() & {w[:5] for w in unique if len(w) > 5}))
        found.update(self._frame_rows(title, lead))
        # Word pairs keyed by the tuple itself: no "a_b" string to build per pair.
        found.update(map(pairs.get, itertools.pairwise(title_list)))
        found.update(map(pairs.get, itertools.pairwise(lead_list)))
        found.discard(None)
        return list(found)  # type: ignore[arg-type]

    def _frame_rows(self, title: str, lead: str) -> list[int | None]:
        """The rows of the framing classes cued in the title and in the lead (None: a
        class the model has no weight for)."""
        _, _, _, _, title_frames, lead_frames = self._by_kind
        return [*map(title_frames.get, frames(title)), *map(lead_frames.get, frames(lead))]

    def _logits(self, found: Iterable[str]) -> np.ndarray:
        vocabulary = self._vocabulary
        rows = [i for i in map(vocabulary.get, found) if i is not None]
        if not rows:
            return self._intercepts
        logits: np.ndarray = self._intercepts + self._weights[rows].sum(axis=0)
        return logits

    def driver(self, tag: str, title: str, summary: str) -> Driver:
        """The sentence (title, or one of the lead's) that drives ``tag`` most, and its terms."""
        from newswatch.classifier.text import sentences

        column = self.tags.index(tag)
        candidates = [("title", 0, title)] if title else []
        lead = summary[:LEAD_CHARS]
        candidates += [("summary", start, text) for start, text in sentences(lead)]
        best: tuple[float, str, int, str] | None = None
        for field, start, text in candidates:
            score = float(self._logits(features(text, "") - _title_only(text))[column])
            if best is None or score > best[0]:
                best = (score, field, start, text)
        if best is None:
            return Driver("title", 0, 0, ())
        _, field, start, text = best
        return Driver(field, start, start + len(text), self.top_terms(tag, text))

    def top_terms(self, tag: str, text: str, count: int = 4) -> tuple[str, ...]:
        column = self.tags.index(tag)
        weighted = []
        for feature in features(text, ""):
            row = self._vocabulary.get(feature)
            if row is not None and self._weights[row, column] > 0:
                weighted.append((self._weights[row, column], feature.split(":", 1)[1]))
        weighted.sort(reverse=True)
        terms: list[str] = []
        for _, term in weighted:
            readable = term.replace("_", " ")
            if readable not in terms:
                terms.append(readable)
            if len(terms) == count:
                break
        return tuple(terms)

    # --- the artifact --------------------------------------------------------------

    def to_json(self) -> dict[str, object]:
        # Sorted so that the same weights always make the same bytes and version.
        names = sorted(self._vocabulary, key=self._vocabulary.__getitem__)
        return {
            "format": 1,
            "tags": list(self.tags),
            "intercepts": [round(float(b), 6) for b in self._intercepts],
            "thresholds": {t: th.to_json() for t, th in sorted(self.thresholds.items())},
            "trained_on": self.trained_on,
            "gate": list(self.gate),
            "vocabulary": {
                name: [round(float(w), 5) for w in self._weights[self._vocabulary[name]]]
                for name in names
            },
        }

    def save(self, path: Path) -> None:
        body = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True).encode()
        path.write_bytes(gzip.compress(body, compresslevel=9, mtime=0))

    @classmethod
    def load(cls, path: Path) -> "TagModel":
        try:
            raw = json.loads(gzip.decompress(path.read_bytes()))
            # The file holds what ``to_json()`` gave when it was saved, so its fingerprint is
            # the version: no second copy of the weights is built to compute it. The parsed
            # table is let go before the model builds its look-ups, which keeps a worker's
            # peak memory down (the parse is the largest transient: ~70 MB for 200k features).
            version = _fingerprint(raw)
            table = raw.pop("vocabulary")
            tags = raw["tags"]
            if any(len(row) != len(tags) for row in table.values()):
                raise ValueError(f"every feature needs one weight per tag ({len(tags)})")
            vocabulary = {name: i for i, name in enumerate(table)}
            weights = np.fromiter(
                itertools.chain.from_iterable(table.values()),
                dtype=np.float64,
                count=len(table) * len(tags),
            )
            del table
            thresholds = {t: Thresholds(**v) for t, v in raw["thresholds"].items()}
            return cls(
                tags,
                vocabulary,
                weights.reshape(len(vocabulary), len(tags)),
                raw["intercepts"],
                thresholds,
                raw.get("trained_on"),
                raw.get("gate", ()),
                version,
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelFileError(f"{path}: not a newswatch model: {exc}") from exc


class ModelFileError(ConfigError):
    """A model file is missing a part or cannot be read; the message names the file."""


def load_model(folder: Path) -> TagModel | None:
    """The model beside a folder's tag files, or None when there is none (rules only)."""
    path = folder / MODEL_FILE
    return TagModel.load(path) if path.exists() else None


def _split_by_kind(vocabulary: dict[str, int]) -> tuple[dict[Any, int], ...]:
    """Words, stems, pairs and title words, each keyed without its prefix."""
    kinds: dict[str, dict[Any, int]] = {k: {} for k in "wpbtfg"}
    for name, row in vocabulary.items():
        kind, _, value = name.partition(":")
        kinds.setdefault(kind, {})[value] = row
    # A pair is looked up as the tuple of its words. Words may hold "_" themselves, so
    # "a_b_c" is filed under each way of cutting it; only the true cut is ever asked for.
    by_words: dict[tuple[str, str], int] = {}
    for pair, row in kinds["b"].items():
        for cut in (i for i, char in enumerate(pair) if char == "_"):
            by_words[pair[:cut], pair[cut + 1 :]] = row
    kinds["b"] = by_words
    return tuple(kinds[k] for k in "wpbtfg")


def _title_only(text: str) -> set[str]:
    return {f"t:{w}" for w in words(text)}


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _fingerprint(body: dict[str, object]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:8]
