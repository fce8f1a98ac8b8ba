"""Sentences with their offsets, so evidence can point back into the original field."""

import re
from collections.abc import Iterator

# A sentence ends at . ! ? ; or a line break, followed by space; "U.S." and
# "Mr." do not end one (the lookbehinds are fixed-width on purpose).
_BOUNDARY = re.compile(
    r"(?<=[.!?;…])(?<!\b[A-Z]\.)(?<!\bMr\.)(?<!\bMs\.)(?<!\bDr\.)(?<!\bSt\.)(?<!\bNo\.)\s+|\n+"
)


def sentences(text: str) -> Iterator[tuple[int, str]]:
    """Yield (offset, sentence) pairs covering the text."""
    start = 0
    for boundary in _BOUNDARY.finditer(text):
        if boundary.start() > start:
            yield start, text[start : boundary.start()]
        start = boundary.end()
    if start < len(text):
        yield start, text[start:]
