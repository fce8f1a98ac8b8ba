"""Repairs that make a common kind of malformed feed well-formed, so that it takes the fast
path and is read the way feedparser's loose parser would have read it anyway.

Each returns the body and a note of what it repaired (None: nothing), and repairs only
where the result is proven to mean what the original meant; the note becomes the feed's
``recovered_error``, so a repaired feed is still counted and logged as malformed.
"""

import re

from newswatch.fetcher.fastparse import well_formed

_BLANKS = b" \t\r\n"


def without_blanks_before_declaration(body: bytes) -> tuple[bytes, str | None]:
    """The body without blank lines before its XML declaration, and what was repaired.

    A declaration must open the document, so a template's stray newline before it makes a
    feed malformed, and feedparser then reads all of it with its loose parser: ten times
    slower, and wrong on some entities (a guid kept "?x=1&amp;y=2" as written; on random
    documents, 76 of 506 came out with other links or ids than their strict reading). Without
    the blanks, the strict reading is the document's evident one.
    """
    if body[:1] not in _BLANKS:
        return body, None
    stripped = body.lstrip(_BLANKS)
    if not stripped.startswith(b"<?xml"):
        return body, None  # blanks before a root element are allowed: nothing to repair
    return stripped, "blank lines before the XML declaration (removed)"


# A reference (to an entity or a character) in group 1; else a bare '&', and what follows
# it, in group 2. A bare '&' is not well-formed, as XML reads it.
_REFERENCE_OR_BARE = rb"(&(?:[A-Za-z_][A-Za-z0-9._-]*|#[0-9]+|#x[0-9A-Fa-f]+);)|&(?=(.?))"
# Sections whose '&' is not markup (CDATA, comments, processing instructions) are matched
# first and kept as they are; then tags, whose quoted attribute values may hold '>'; then
# an '&' in text. The DOCTYPE's internal subset is not looked into (see below).
_AMPERSAND_CONTEXTS = re.compile(
    rb"(<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>)"
    rb"|(<[^<>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^<>\"']*)*>)|" + _REFERENCE_OR_BARE,
    re.DOTALL,
)
_IN_TAG = re.compile(_REFERENCE_OR_BARE, re.DOTALL)
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
# Encodings in which byte 0x26 is always '&' and every byte below 0x80 is its ASCII self.
_ASCII_COMPATIBLE = re.compile(
    r"^(utf-?8|(us-)?ascii|iso[-_]?8859[-_]\d{1,2}|latin[-_]?1|l1|(windows|cp)-?125\d)$"
)
# UTF-32 and UTF-16 byte order marks (UTF-32 LE begins as UTF-16 LE does), and a '<'
# written in either without one.
_WIDE_STARTS = (b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00", b"\x00\x00")


def without_bare_ampersands(
    body: bytes, content_type: str | None = None
) -> tuple[bytes, str | None]:
    """The body with every bare '&' escaped as '&amp;', and what was repaired; or the body
    as it is, and None, unless that repair is what makes it well-formed.

    One bare '&' (in a URL's query, most often) makes a whole feed malformed, and feedparser
    then reads it with its loose parser: ten times slower (a 54-entry feed, 47 ms). Escaped,
    the '&' means what the loose parser took it for, and the strict reading gives the same
    items (tests/unit/test_feed_repair_ampersands.py holds it to that). Only in encodings
    where byte 0x26 is always '&', and never inside CDATA, comments or processing
    instructions, where an '&' is text. A DOCTYPE may declare entities of its own, which
    feedparser rewrites: such documents are left as they are. Call it only once a strict
    parse has failed: it parses the body, once or twice.
    """
    if b"&" not in body or not _ascii_compatible(body, content_type) or b"<!DOCTYPE" in body:
        return body, None
    if well_formed(body):
        return body, None
    try:
        repaired = _AMPERSAND_CONTEXTS.sub(_Escaper(), body)
    except _LooseReadsItOtherwise:
        return body, None
    if repaired == body or not well_formed(repaired):
        return body, None  # malformed for some other reason too: feedparser's turn, as it was
    return repaired, "bare '&' not starting an entity (escaped as &amp;)"


class _LooseReadsItOtherwise(Exception):
    """Something feedparser's loose parser reads otherwise than its strict one would once
    the '&' are escaped: the loose reading is the one to keep, so no repair."""


class _Escaper:
    """Each match of _AMPERSAND_CONTEXTS as it is once its bare '&' are escaped.

    Where feedparser's loose parser (sgmllib) and its strict one read the repaired document
    differently, the loose reading of the original wins and there is no repair:

    - in text, '&name' is an entity reference the loose parser does not know, kept as
      '&name;' ("?a=1&b=2" becomes "?a=1&b;=2" in a guid or a summary);
    - in an attribute, '&#12' without its ';' is a character to the loose parser;
    - the loose parser keeps some references as written ('&amp;' in a guid, a link's
      text or an attribute of markup in a description) and its own spelling of others;
    - it keeps namespace declarations inside content as attributes of the markup, and
      names elements under a prefix declared below the root otherwise.

    So the document may hold no reference at all, and declare namespaces on its root only.
    """

    def __init__(self) -> None:
        self.tags = 0

    def __call__(self, found: re.Match[bytes]) -> bytes:
        section, tag, reference, after = found.groups()
        if section:
            return section
        if tag:
            self.tags += 1
            if self.tags > 1 and b"xmlns" in tag:
                raise _LooseReadsItOtherwise("a namespace declared below the root")
            return _IN_TAG.sub(_escaped_in_attribute, tag) if b"&" in tag else tag
        if reference or after.isalpha():
            raise _LooseReadsItOtherwise("a reference, or '&name', in text")
        return b"&amp;"


def _escaped_in_attribute(found: re.Match[bytes]) -> bytes:
    after = found.group(2)
    if found.group(1) or after == b"#":
        raise _LooseReadsItOtherwise("a reference, or '&#' in an attribute")
    return b"&amp;"


def _ascii_compatible(body: bytes, content_type: str | None) -> bool:
    """Whether the body's encoding, as declared (in HTTP, then in the document) or defaulted
    (UTF-8), is one in which every ASCII byte stands for itself."""
    if body.startswith(_WIDE_STARTS):
        return False
    if content_type and "charset=" in content_type.lower():
        charset = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
        if not _ASCII_COMPATIBLE.match(charset):
            return False
    text = body.removeprefix(b"\xef\xbb\xbf")
    found = _DECLARED_ENCODING.match(text)
    if found is None:
        return text.lstrip(_BLANKS)[:1] == b"<"  # not EBCDIC, where '<' is another byte
    return bool(_ASCII_COMPATIBLE.match(found.group(1).decode().lower()))
