"""Markup inside a description, summary or content element, as feedparser writes it out.

An RSS ``<description>`` often holds unescaped HTML (``<p>``, ``<a href>``...) and an Atom
``<content type="xhtml">`` holds XHTML by design. feedparser's SAX handler (its mixin's
``unknown_starttag``, ``handle_data`` and ``unknown_endtag``, and ``pop``) does not call
handlers for these child elements: it writes them back out as text into the value of the
content element, and from the first child on it takes the content for XHTML, so that text
after that point is escaped. This module reproduces that for the shapes whose effect it
knows exactly, and raises ``Unreproduced`` for the rest: a ``<div>`` that opens escaped
markup (feedparser drops it and loses count of its depth), MathML, SVG under a prefix,
child elements with end handlers of their own (``<source>``, ``<title>``...), attributes
or namespace declarations it would have to guess the spelling of.

What feedparser does, step by step (feedparser 6.0, mixin.py and parsers/strict.py):

- a child element starts: if the content's type does not end in "xml", it becomes
  ``application/xhtml+xml``; then ``<name attrs>`` is added, the local name lower-cased,
  the attributes as ``startElementNS`` and ``strattrs`` write them;
- text is added as it is before the first child, escaped (``&``, ``<``, ``>``) after, and
  from the start when the type is XHTML;
- a child element ends: ``</name>`` is added;
- the content ends: in an Atom 1.0 document, a single enclosing ``<div>`` is removed.
"""

from typing import TypeAlias
from xml.sax.saxutils import escape

from feedparser.mixin import _FeedParserMixin
from lxml import etree

XHTML_TYPE = "application/xhtml+xml"
XHTML = "http://www.w3.org/1999/xhtml"
SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"
_XML = "http://www.w3.org/XML/1998/namespace"
_KNOWN = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
# Namespace declarations allowed on an element inside content: the default XHTML or SVG
# namespace (neither changes how feedparser names anything), and the xlink prefix, which
# feedparser writes back out as an attribute.
_DECLARATIONS = frozenset({("", XHTML), ("", SVG), ("xlink", XLINK)})
_QUOTE = {'"': "&quot;"}
Element: TypeAlias = etree._Element


class Unreproduced(Exception):
    """Markup whose reading by feedparser this module does not reproduce."""


def check_child(el: Element, name: str, declared: list[tuple[str, str]]) -> None:
    """Refuse a child element of content whose effect on feedparser's state is not only
    the text it adds: ``name`` is feedparser's name for it, ``declared`` the namespace
    declarations on it."""
    if hasattr(_FeedParserMixin, f"_end_{name}"):
        raise Unreproduced(f"{name} has an end handler")  # called even inside content
    for prefix, uri in declared:
        if (prefix, uri) not in _DECLARATIONS:
            raise Unreproduced(f"namespace {prefix}={uri} declared inside content")
        if prefix and el.getparent().nsmap.get(prefix) == uri:
            raise Unreproduced("xlink declared again")  # invisible in lxml's nsmap


def content_text(el: Element, content_type: str, atom10: bool, xlink: bool) -> str:
    """The value feedparser's ``pop`` joins for a content element of this type (before it
    strips it and fixes its characters), in an Atom 1.0 document or not; ``xlink`` says
    whether the document may declare the xlink namespace anywhere."""
    xhtml = content_type == XHTML_TYPE
    text = el.text or ""
    if not len(el):
        return escape(text) if xhtml else text
    if not xhtml:
        if _local(el[0]) == "div":
            # feedparser drops a div that opens escaped markup, with its end tag, and its
            # depth and xml:base bookkeeping never come back (typepad, 10/2007).
            raise Unreproduced("a div opening escaped markup")
        if atom10 and "<" in text:
            raise Unreproduced("text before markup that may start with '<'")  # see _unwrapped
    pieces = [escape(text) if xhtml else text] if text else []
    for child in el:
        _write(child, pieces, xlink)
    if atom10:
        pieces = _unwrapped(pieces)
    return "".join(pieces)


def _write(el: Element, pieces: list[str], xlink: bool) -> None:
    """Add an element inside content, its text and its tail, as feedparser does."""
    local = _local(el)
    if local == "math":
        raise Unreproduced("MathML")  # feedparser adds an xmlns attribute in two places
    pieces.append(f"<{local}{_attributes(el, local, xlink)}>")
    if el.text:
        pieces.append(escape(el.text))
    for child in el:
        _write(child, pieces, xlink)
    pieces.append(f"</{local}>")
    if el.tail:
        pieces.append(escape(el.tail))


def _local(el: Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        raise Unreproduced("an entity or other node inside content")
    return tag.rpartition("}")[2].lower()


def _attributes(el: Element, local: str, xlink: bool) -> str:
    """The attributes as ``startElementNS`` collects them and ``strattrs`` writes them: new
    xlink declarations first, an svg element's namespace, then each attribute under its
    name with feedparser's prefix and again under its name as written, lower-cased; the
    values of ``rel`` and ``type`` lower-cased."""
    found: dict[str, str] = {}
    if xlink:  # nsmap walks up the tree: only in documents that name xlink at all
        parent = el.getparent()
        inherited = parent.nsmap if parent is not None else {}
        for prefix, uri in el.nsmap.items():
            if prefix and uri == XLINK and inherited.get(prefix) != uri:
                found[f"xmlns:{prefix}"] = uri
    if local == "svg":
        if el.tag != f"{{{SVG}}}svg" or el.prefix:
            raise Unreproduced("svg under a prefix, or in another namespace")
        found["xmlns"] = SVG
    written: list[tuple[str, str]] = []
    for key, value in el.attrib.items():
        if key[0] != "{":
            found[key.lower()] = value
            written.append((key.lower(), value))
            continue
        uri, _, name = key[1:].partition("}")
        prefix = _KNOWN.get(uri.lower(), "")
        found[f"{prefix}:{name}".lower() if prefix else name.lower()] = value
        written.append((f"{_prefix_of(el, uri)}:{name}".lower(), value))
    for key, value in written:
        found[key] = value
    return "".join(
        f' {key}="{escape(value.lower() if key in ("rel", "type") else value, _QUOTE)}"'
        for key, value in found.items()
    )


def _prefix_of(el: Element, uri: str) -> str:
    """The prefix an attribute of this namespace was written with."""
    if uri == _XML:
        return "xml"
    prefixes: list[str] = [p for p, known in el.nsmap.items() if known == uri and p]
    if len(prefixes) != 1:
        raise Unreproduced(f"attribute prefix for {uri} is ambiguous")
    return prefixes[0]


def _unwrapped(pieces: list[str]) -> list[str]:
    """feedparser's pop() for Atom 1.0 XHTML: without a single enclosing <div>.

    feedparser looks at the pieces as its parser delivered them; here consecutive text is
    one piece. That changes nothing: a run of text is blank exactly when all its parts
    are, and no text piece starts with '<' (it is escaped, or ``content_text`` refused it).
    """
    while len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if (
        pieces
        and (pieces[0] == "<div>" or pieces[0].startswith("<div "))
        and pieces[-1] == "</div>"
    ):
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    return pieces
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        return pieces[1:-1]
    return pieces
