"""Sentences with their offsets, so evidence can point back into the original field; and an
item's fields lower-cased once for every reader that wants them so."""

import re

from newswatch.classifier import kernel

# A sentence ends at . ! ? ; or a line break, followed by space; "U.S." and
# "Mr." do not end one (the lookbehinds are fixed-width on purpose). The pattern starts
# with the whitespace every boundary begins with, so the regex engine skips to candidate
# characters instead of trying the lookbehinds at every position (three times faster,
# same matches as "(?<=[.!?;…])(?<!\b[A-Z]\.)...\s+|\n+").
_BOUNDARY = re.compile(
    r"\s(?:(?<=[.!?;…]\s)(?<!\b[A-Z]\.\s)(?<!\bMr\.\s)(?<!\bMs\.\s)(?<!\bDr\.\s)(?<!\bSt\.\s)"
    r"(?<!\bNo\.\s)\s*|(?<=\n)\n*)"
)


def sentences(text: str) -> list[tuple[int, str]]:
    """(offset, sentence) pairs covering the text: by the C kernel where it is built
    (``kernel.python_reference()`` switches, so it is asked each time), else by
    ``sentences_reference``."""
    native = kernel.native_sentences()
    return native(text) if native is not None else sentences_reference(text)


def sentences_reference(text: str) -> list[tuple[int, str]]:
    """``sentences`` in Python: what the C kernel must agree with."""
    found = []
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        end = boundary.start()
        if end > start:
            found.append((start, text[start:end]))
        start = boundary.end()
    if start < len(text):
        found.append((start, text[start:]))
    return found


class Lowered:
    """An item's title and summary lower-cased once: language detection, the rules' literal
    index, the model and framing all read the lower-cased text, much of it the same."""

    __slots__ = ("_exact", "_summary", "summary", "title")

    def __init__(self, title: str, summary: str) -> None:
        self.title = title.lower()
        self.summary = summary.lower()
        self._summary = summary
        # Lowering is character by character except for a capital sigma (final or not, by
        # what follows) and letters that lower to two ("İ"): without those, a slice of the
        # lowered summary is the lowered slice.
        self._exact = len(self.summary) == len(summary) and "Σ" not in summary

    def head(self, chars: int) -> str:
        """``summary[:chars].lower()``, mostly without lowering again."""
        return self.summary[:chars] if self._exact else self._summary[:chars].lower()
