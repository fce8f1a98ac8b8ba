"""Which feeds to poll: the YAML feed list, OPML import and export. Pure: bytes in, specs out."""

import hashlib
import re
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import quoteattr

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from newswatch.shared.errors import ConfigError


class FeedConfigError(ConfigError):
    """The feed list cannot be read; the message says where and why."""


class FeedSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    id: str = ""
    name: str = ""
    interval_seconds: float = Field(default=300.0, ge=1.0)
    language: str | None = None
    paused: bool = False

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^\s/]+", url):
            raise ValueError("must be an http(s) URL")
        return url

    def model_post_init(self, _context: object) -> None:
        if not self.id:
            self.id = feed_id_for(self.url)


def feed_id_for(url: str) -> str:
    host = re.sub(r"^https?://(www\.)?", "", url).split("/", 1)[0]
    slug = re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-")[:40]
    return f"{slug}-{hashlib.sha256(url.encode()).hexdigest()[:8]}"


def load_feed_list(path: Path) -> list[FeedSpec]:
    """Read a YAML feed list, or an OPML file when the name ends in .opml."""
    data = path.read_bytes()
    if path.suffix.lower() in {".opml", ".xml"}:
        return parse_opml(data)
    return parse_feed_yaml(data.decode("utf-8"), source=str(path))


def parse_feed_yaml(text: str, source: str = "<feeds>") -> list[FeedSpec]:
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise FeedConfigError(f"{source}: not valid YAML: {exc}") from exc
    entries = doc.get("feeds") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise FeedConfigError(f"{source}: expected a top-level 'feeds:' list")
    defaults = doc.get("defaults") or {}
    specs: list[FeedSpec] = []
    for n, entry in enumerate(entries, start=1):
        if isinstance(entry, str):
            entry = {"url": entry}
        try:
            specs.append(FeedSpec.model_validate({**defaults, **entry}))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}" for e in exc.errors()
            )
            raise FeedConfigError(f"{source}: feed #{n}: {problems}") from exc
    _refuse_duplicates(specs, source)
    return specs


def parse_opml(data: bytes) -> list[FeedSpec]:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FeedConfigError(f"OPML is not well-formed XML: {exc}") from exc
    specs = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if url:
            name = outline.get("title") or outline.get("text") or ""
            try:
                specs.append(FeedSpec(url=url.strip(), name=name))
            except ValidationError as exc:
                raise FeedConfigError(f"OPML outline {name!r}: {exc.errors()[0]['msg']}") from exc
    _refuse_duplicates(specs, "OPML")
    return specs


def render_opml(specs: list[FeedSpec], title: str = "newswatch feeds") -> str:
    """An OPML 2.0 document of the feeds, for other readers (or a later import)."""
    outlines = "\n".join(
        f'    <outline type="rss" text={quoteattr(s.name or s.id)} title={quoteattr(s.name or s.id)} '
        f"xmlUrl={quoteattr(s.url)}/>"
        for s in specs
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n'
        f"  <head><title>{title}</title></head>\n  <body>\n{outlines}\n  </body>\n</opml>\n"
    )


def _refuse_duplicates(specs: list[FeedSpec], source: str) -> None:
    seen: set[str] = set()
    for spec in specs:
        if spec.id in seen:
            raise FeedConfigError(f"{source}: feed id {spec.id!r} appears twice")
        seen.add(spec.id)
