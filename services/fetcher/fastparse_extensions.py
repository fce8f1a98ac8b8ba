"""What feedparser makes of each element: the name it gives it, and what that name does.

feedparser does not look elements up by namespace URI. Its SAX handler turns each one
into a name (``media_description``, ``itunes_summary``, ``title``...) from the namespace
declarations it has seen so far, lower-cases it, and calls ``_start_<name>`` and
``_end_<name>`` if it has them. So an Atom ``<link>`` inside RSS is an RSS link, a
lower-case ``<pubdate>`` is a ``<pubDate>``, and an element in a namespace feedparser does
not know takes the prefix the document gave it. This module reproduces that naming
(``FeedparserNames``), says for every name with a handler which part of feedparser's
reading it takes part in (``ROLES``: RSS, Atom, Dublin Core, Media RSS, iTunes...), and
where each may appear (``allowed``). The fast path (``fastparse``) reads a document only
if every element in it has a role, in a place, whose effect it reproduces. Elements
without a handler are kept aside under their name, which none of the fields we read can be.
"""

# feedparser's own tables: the namespaces it knows (URI -> prefix), and its handlers.
from typing import Any

from feedparser.mixin import _FeedParserMixin
from lxml import etree

_KNOWN = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_USERLAND = "backend.userland.com/rss"  # any such namespace is plain RSS to feedparser

# Roles, by what feedparser does with the element.
TITLE = "title"  # the title, first non-empty one at the shallowest depth
MEDIA_TITLE = "media_title"  # the same, except that it never blocks a later title
DESCRIPTION = "description"  # the summary; a second one becomes content
SUMMARY = "summary"  # the same, but at a feed's root it is the feed's summary
CONTENT = "content"  # content, and the summary when there is none yet
LINK = "link"  # text, or an href that is the link when rel=alternate
ID = "id"  # the id, and the link when it is a permalink and there is none yet
PUBLISHED, UPDATED, CREATED = "published", "updated", "created"  # the last of each wins
LANGUAGE = "language"  # at a feed's root, its language
CHANNEL, ITEM = "channel", "item"
IMAGE = "image"  # a container whose title counts (in an entry), whose link does not
TEXTINPUT = "textinput"
SOURCE = "source"  # an RSS <source> leaf; it resets the title bookkeeping
AUTHOR = "author"  # a person, as a leaf or with name/email/uri children
MEDIA = "media"  # media:content / media:group: containers of Media RSS elements
NESTED_CATEGORY = "nested_category"  # itunes:category, which may hold itunes:category
INERT = "inert"  # a handler that fills keys of its own only: allowed as a leaf
GENERIC = "generic"  # no handler: kept aside under its own name

ROLES: dict[str, str] = {
    **dict.fromkeys(("title", "dc_title"), TITLE),
    "media_title": MEDIA_TITLE,
    **dict.fromkeys(("description", "dc_description", "media_description"), DESCRIPTION),
    **dict.fromkeys(("summary", "itunes_summary"), SUMMARY),
    **dict.fromkeys(("content", "content_encoded"), CONTENT),
    "link": LINK,
    **dict.fromkeys(("guid", "id"), ID),
    **dict.fromkeys(("pubdate", "published", "issued", "dcterms_issued"), PUBLISHED),
    **dict.fromkeys(
        ("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"), UPDATED
    ),
    **dict.fromkeys(("created", "dcterms_created"), CREATED),
    **dict.fromkeys(("language", "dc_language"), LANGUAGE),
    "channel": CHANNEL,
    **dict.fromkeys(("item", "entry"), ITEM),
    "image": IMAGE,
    "textinput": TEXTINPUT,
    "source": SOURCE,
    **dict.fromkeys(
        (
            "author",
            "contributor",
            "managingeditor",
            "dc_author",
            "dc_creator",
            "itunes_author",
            "itunes_owner",
        ),
        AUTHOR,
    ),
    **dict.fromkeys(("media_content", "media_group"), MEDIA),
    "itunes_category": NESTED_CATEGORY,
    **dict.fromkeys(
        (
            # Media RSS: lists and dicts of their own (media_thumbnail, media_credit...)
            "media_thumbnail",
            "media_credit",
            "media_player",
            "media_rating",
            "media_restriction",
            "media_license",
            "media_category",
            "media_keywords",
            # iTunes: the episode's image, subtitle, flags, keywords and owner's details
            "itunes_image",
            "itunes_link",
            "itunes_subtitle",
            "itunes_block",
            "itunes_explicit",
            "itunes_keywords",
            "itunes_name",
            "itunes_email",
            # tags, enclosures, people's details, rights, generators and the like
            "category",
            "keywords",
            "tags",
            "dc_subject",
            "enclosure",
            "dc_contributor",
            "dc_publisher",
            "webmaster",
            "name",
            "email",
            "uri",
            "url",
            "homepage",
            "width",
            "height",
            "rights",
            "copyright",
            "dc_rights",
            "subtitle",
            "tagline",
            "info",
            "feedburner_browserfriendly",
            "generator",
            "cloud",
            "expirationdate",
            "newlocation",
            "dcterms_valid",
            "cc_license",
            "creativecommons_license",
            "admin_generatoragent",
            "admin_errorreportsto",
            "georss_point",
            "georss_line",
            "georss_polygon",
            "georss_box",
        ),
        INERT,
    ),
}
# Keys a handler-less element could be filed under that parse.py would read as a date
# (FeedParserDict files date_parsed under updated_parsed, issued_parsed under published_...).
_DATE_KEYS = frozenset(
    f"{n}_parsed" for n in ("published", "updated", "created", "date", "issued", "modified")
)


# Where each role may appear, by the context its parent opened (see fastparse's handlers).
_FEED_ROLES = frozenset(
    {
        TITLE,
        MEDIA_TITLE,
        DESCRIPTION,
        SUMMARY,
        CONTENT,
        LINK,
        ID,
        PUBLISHED,
        UPDATED,
        CREATED,
        LANGUAGE,
        IMAGE,
        AUTHOR,
        MEDIA,
        NESTED_CATEGORY,
        INERT,
        GENERIC,
    }
)
_CONTEXT_ROLES = {
    "rss": frozenset({CHANNEL, GENERIC}),
    "rdf": frozenset({CHANNEL, ITEM, IMAGE, TEXTINPUT, GENERIC}),
    "feed": _FEED_ROLES | {ITEM, TEXTINPUT},
    "entry": _FEED_ROLES | {SOURCE},
    "category": frozenset({NESTED_CATEGORY}),
    "generic": frozenset({GENERIC}),
}
# Inside these, what counts is the child's name. feedparser's "special hacks" for <image>
# and <textInput> hold only while their children are these; a person's parts fill the
# author's keys; and only Media RSS's own elements are known inside media:content.
_CONTEXT_NAMES = {
    "image": frozenset({"title", "link", "url", "width", "height", "description"}),
    "textinput": frozenset({"title", "description", "name", "link"}),
    "person": frozenset({"name", "email", "uri", "url", "homepage", "itunes_name", "itunes_email"}),
}
_MEDIA_ROLES = frozenset({MEDIA_TITLE, DESCRIPTION, MEDIA, INERT})


def allowed(context: str, name: str, role: str) -> bool:
    """Whether an element of this name and role may appear in this context."""
    if role in _CONTEXT_ROLES.get(context, ()):
        return True
    if context == "media":
        return role == GENERIC or (role in _MEDIA_ROLES and name.startswith("media_"))
    if context == "person" and role == GENERIC:
        return True
    return name in _CONTEXT_NAMES.get(context, ())


def role_of(name: str) -> str | None:
    """The role of feedparser's ``name``, or None for a handler this reader does not know."""
    role = ROLES.get(name)
    if role is not None:
        return role
    if hasattr(_FeedParserMixin, f"_start_{name}") or hasattr(_FeedParserMixin, f"_end_{name}"):
        return None  # a handler we have not checked (body, abstract, georss_where, psc_...)
    return None if name in _DATE_KEYS else GENERIC


class FeedparserNames:
    """feedparser's names for a document's elements, as its SAX handler derives them.

    Feed ``declare`` every namespace declaration in document order (lxml's ``start-ns``
    events) and ask ``element`` for each element after the declarations before it.
    """

    def __init__(self) -> None:
        self._prefixes: dict[str | None, str] = {}  # feedparser's namespacemap
        self._in_use: dict[str, str] = {}  # feedparser's namespaces_in_use
        # lxml tag -> (name, role); forgotten at each declaration, which may change names.
        self._names: dict[str, tuple[str, str | None]] = {}

    def declare(self, prefix: str, uri: str) -> None:
        """feedparser's startPrefixMapping and track_namespace."""
        if not uri:
            return
        lower = uri.lower()
        if _USERLAND in lower:
            uri = lower = "http://backend.userland.com/rss"
        known = _KNOWN.get(lower)
        if known is not None:
            changed = _assign(self._prefixes, prefix or None, known)
            changed |= _assign(self._in_use, known, uri)
        else:
            changed = _assign(self._in_use, prefix or "", uri)
        # Names depend only on these two maps. Some feeds repeat the same declarations on
        # every element (giantbomb's podcast: 4,400 in one document); forgetting the names
        # each time cost that document about 15 % of its reading time.
        if changed:
            self._names.clear()

    def element(self, tag: str) -> tuple[str, str | None]:
        """feedparser's name for an lxml tag, and its role (None: not one we reproduce)."""
        found = self._names.get(tag)
        if found is None:
            name = self._name(tag)
            found = self._names[tag] = (name, role_of(name))
        return found

    def _name(self, tag: str) -> str:
        """feedparser's startElementNS, then unknown_starttag's prefix mapping."""
        namespace, _, local = tag[1:].rpartition("}") if tag[0] == "{" else ("", "", tag)
        if _USERLAND in namespace.lower():
            namespace = "http://backend.userland.com/rss"
        prefix = _KNOWN.get(namespace.lower())
        if prefix is None and namespace:
            # A namespace feedparser does not know: the first prefix declared for it, if any.
            prefix = next((p for p, u in self._in_use.items() if p and u == namespace), "")
        if not prefix:
            return local.lower()
        prefix = prefix.lower()
        prefix = self._prefixes.get(prefix, prefix)  # a document may bind a known prefix
        return f"{prefix}_{local.lower()}" if prefix else local.lower()

    def about_key(self) -> str:
        """The attribute name under which feedparser looks for an item's rdf:about."""
        return f"{self._prefixes.get('rdf', 'rdf')}:about"


def _assign(mapping: dict[Any, Any], key: object, value: str) -> bool:
    """``mapping[key] = value``; whether that changed the mapping. An existing key keeps its
    place in the order either way, so an unchanged value leaves the mapping as it was."""
    if key in mapping and mapping[key] == value:
        return False
    mapping[key] = value
    return True


def attributes(el: etree._Element) -> dict[str, str]:
    """An element's attributes as feedparser's handlers see them: names lower-cased, with
    the prefix of a namespace feedparser knows (``xml:lang``, ``rdf:about``) and none for
    others; the values of ``rel`` and ``type`` lower-cased."""
    found = {}
    for key, value in el.attrib.items():
        namespace, _, local = key[1:].rpartition("}") if key[0] == "{" else ("", "", key)
        prefix = _KNOWN.get(namespace.lower(), "")
        name = f"{prefix}:{local}".lower() if prefix else local.lower()
        found[name] = value.lower() if name in ("rel", "type") else value
    return found
