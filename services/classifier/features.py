"""What the learned model reads of an item: binary features of its title and lead.

Features come from the title and the lead of the summary (the first ``LEAD_CHARS``
characters): news puts its event there, and what follows is mostly background, which
LABELING.md says not to tag. Each feature is binary:

- ``w:`` a lower-cased word (digits folded to ``#``), ``t:`` the same for title words;
- ``p:`` the first five letters of a longer word, a cheap stem for inflected languages
  (``санкц``, ``sanct``, ``ракет``, ``angri``);
- ``b:`` two neighbouring words;
- ``f:``/``g:`` a framing class (threat, plan, proposal, call, opinion, evasion, test,
  background, pending; ``framing.yaml``) cued in the title / the lead, shared by every
  language.

Training (``features``) and inference (``TagModel``'s fast path over ``lowered_words``)
must see the same features; ``tests/unit/test_model.py`` checks that they do.
"""

import functools
import itertools
import re
import unicodedata

from newswatch.classifier.framing import frames

LEAD_CHARS = 600


@functools.cache  # read at import for the word pattern, and again for the C kernel's bitmap
def mark_ranges() -> list[tuple[int, int]]:
    """Unicode's combining marks (Mn, Mc, Me) as inclusive code-point ranges.

    Python's ``\\w`` leaves them out, and so cut the words of Bengali, Hindi and other
    Indic scripts at every vowel sign ("হামলায়", attack, into "হ", "মল", "য"): marks belong to
    the word they are written in. Planes 3 to 13 hold no marks; they are skipped (import time).
    """
    ranges: list[tuple[int, int]] = []
    for cp in itertools.chain(range(0x30000), range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return ranges


@functools.cache
def mark_bits() -> bytes:
    """``mark_ranges`` as a bit per code point, up to the last mark (about 115 KB), for C."""
    ranges = mark_ranges()
    bits = bytearray(ranges[-1][1] // 8 + 1)
    for first, last in ranges:
        for cp in range(first, last + 1):
            bits[cp >> 3] |= 1 << (cp & 7)
    return bytes(bits)


_MARKS = "".join(f"{chr(a)}-{chr(b)}" for a, b in mark_ranges())  # no mark is "]", "\\" or "^"
_WORD = re.compile(f"[\\w#{_MARKS}]+")  # digits are folded to "#" first
_DIGITS = re.compile(r"\d+")


def lead_text(title: str, summary: str) -> str:
    """The title and the lead as one text: where the model's gate, the framing of an item
    and a tag's vetoes are looked for, as the model itself reads no further."""
    return f"{title}\n{summary[:LEAD_CHARS]}"


def features(title: str, summary: str) -> set[str]:
    """The binary features of one item, as training and inference both see them."""
    title_words = words(title)
    lead_words = words(summary[:LEAD_CHARS])
    found = {f"t:{w}" for w in title_words}
    found.update(f"f:{frame}" for frame in frames(title.lower()))
    found.update(f"g:{frame}" for frame in frames(summary[:LEAD_CHARS].lower()))
    for field in (title_words, lead_words):
        found.update(f"w:{w}" for w in field)
        found.update(f"p:{w[:5]}" for w in field if len(w) > 5)
        found.update(f"b:{a}_{b}" for a, b in itertools.pairwise(field))
    return found


def words(text: str) -> list[str]:
    return _WORD.findall(_DIGITS.sub("#", text.lower()))


# ASCII text, most English news once its typographic quotes and dashes (never part of a
# word) are spaces, is cut into the same words by str.translate and str.split, in C and
# several times faster than the two regular expressions: word characters stay, digits
# become "#" (a run of them one "#"), anything else a space.
_ASCII_WORDS = str.maketrans(
    {
        c: ("#" if c.isdigit() else c) if c.isalnum() or c == "_" else " "
        for c in map(chr, range(128))
    }
)
_TYPOGRAPHIC = ("’", "‘", "“", "”", "–", "—")


def lowered_words(lowered: str) -> list[str]:
    """``words`` of a text already lower-cased."""
    if "#" not in lowered:  # a "#" of the text's own must not merge with the digits' ones
        plain = lowered
        for mark in _TYPOGRAPHIC:
            plain = plain.replace(mark, " ")
        if plain.isascii():
            folded = plain.translate(_ASCII_WORDS)
            while "##" in folded:
                folded = folded.replace("##", "#")
            return folded.split()
    return _WORD.findall(_DIGITS.sub("#", lowered))


def gate_literal(feature: str) -> str:
    """The substring whose absence rules a feature out: a word, a stem, a pair's longer word."""
    kind, _, value = feature.partition(":")
    if kind in "fg":
        return ""  # a frame is no literal; it never opens the gate
    if kind == "b":
        return max(value.split("_"), key=len)
    return value
