"""Which code runs the classifier's hot paths: the C kernel, or its Python reference.

Five parts, each a drop-in for Python code that stays the reference:

- ``Features`` (``_kernel.c``) cuts the words of an item's title and lead, looks up its
  words, stems and pairs in the model's vocabulary and sums their weights
  (``TagModel._rows_of`` and ``_probabilities`` in Python);
- ``Automaton`` (``_literals.c``) finds every occurrence of many literals in one pass: the
  rules' literal index, the model's gate and the framing cues (pyahocorasick in Python);
- ``Detector`` (``_language.c``) decides a sample's language from ``language.py``'s tables
  (``language.detect_lowered`` in Python);
- ``sentences`` (``_text.c``) splits a text into sentences with their offsets
  (``text.sentences`` in Python);
- ``murmur2`` (``_kernel.c``) hashes a record key as every Kafka client's default
  partitioner does (``aiokafka.partitioner.murmur2`` in Python).

``tests/unit/test_kernel.py`` checks that both give what the reference gives on every
labelled and real feed item. Where the kernel was not built (no C compiler when installing)
the reference runs; ``make bench`` measures both. ``NEWSWATCH_CLASSIFIER_KERNEL=python`` at
start, or ``python_reference()`` around the making of a classifier, chooses the reference.
"""

import importlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

log = logging.getLogger("newswatch.classifier")

_kernel: Any
try:
    _kernel = importlib.import_module("newswatch.classifier._kernel")
except ImportError:  # not built: the Python reference runs
    _kernel = None

API_VERSION = 7  # what this module expects of _kernel.c; a stale build is not used

Logits = Callable[[str, str, Sequence[int]], tuple[float, ...]]


_BUILT = _kernel is not None and getattr(_kernel, "API_VERSION", None) == API_VERSION
_wanted = os.environ.get("NEWSWATCH_CLASSIFIER_KERNEL", "").lower() != "python"


def available() -> bool:
    """Is a kernel of the expected version built here, and not turned off? (Asked per item
    by the framing: a module flag, not the environment, which costs microseconds a look.)"""
    return _BUILT and _wanted


@contextmanager
def python_reference() -> Iterator[None]:
    """Inside, what is made and run uses the Python reference (tests and ``make bench``
    compare the two)."""
    global _wanted
    saved, _wanted = _wanted, False
    try:
        yield
    finally:
        _wanted = saved


def native_automaton(literals: Iterable[str]) -> Any:
    """An ``Automaton`` of these literals (``any_in``, ``present``, ``occurrences``,
    ``word_starts`` of a lower-cased text), or None: use pyahocorasick."""
    return _kernel.Automaton(sorted(literals)) if available() else None


def native_detector(**tables: Any) -> Any:
    """A ``Detector`` of ``language.py``'s tables (its ``detect(sample)``), or None: use
    Python."""
    return _kernel.Detector(**tables) if available() else None


def native_sentences() -> Callable[[str], list[tuple[int, str]]] | None:
    """``sentences(text)`` in C, or None: use Python."""
    return _kernel.sentences if available() else None


def native_murmur2() -> Callable[[bytes], int] | None:
    """Kafka's ``murmur2(key)`` in C, or None: use aiokafka's."""
    return _kernel.murmur2 if available() else None


def native_logits(
    by_kind: tuple[dict, ...], weights: np.ndarray, intercepts: np.ndarray, marks: bytes
) -> Logits | None:
    """``logits(title, lead, frame_rows)`` in C for this vocabulary, or None: use Python.

    ``by_kind``: the model's look-ups (words, stems, pairs, title words, ...) as
    ``model._split_by_kind`` makes them; ``title`` and ``lead`` are lower-cased. ``marks``:
    a bit per code point for the combining marks words hold (``features.mark_bits``).
    """
    if not available():
        return None
    words, stems, pairs, title_words = by_kind[:4]
    try:
        features = _kernel.Features(
            words,
            title_words,
            stems,
            pairs,
            np.ascontiguousarray(weights, dtype=np.float64),
            np.ascontiguousarray(intercepts, dtype=np.float64),
            marks,
        )
    except ValueError as exc:  # two features sharing a 64-bit hash: astronomically rare
        log.warning("the model's C kernel refused this vocabulary (%s); scoring in Python", exc)
        return None
    return features.logits


if _kernel is not None and not _BUILT:
    log.warning("the classifier's C kernel is stale (rebuild it: make install); running Python")
