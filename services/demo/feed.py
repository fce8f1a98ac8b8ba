"""RSS 2.0 documents for the demo and the tests, and the dripping demo feed."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from xml.sax.saxutils import escape

import yaml


@dataclass(frozen=True, slots=True)
class Story:
    title: str
    summary: str
    expect: tuple[str, ...] = ()


def load_stories(section: str = "stories") -> list[Story]:
    """The demo wire's stories, or (``second_outlet``) another outlet's reports of some of them."""
    text = (resources.files("newswatch.demo") / "stories.yaml").read_text("utf-8")
    return [
        Story(s["title"], s["summary"], tuple(s.get("expect") or ()))
        for s in yaml.safe_load(text)[section]
    ]


def render_rss(title: str, link: str, entries: list[tuple[str, Story, datetime]]) -> bytes:
    """entries: (guid, story, published) triples, newest first as feeds usually are."""
    items = "".join(
        "<item>"
        f"<title>{escape(story.title)}</title>"
        f"<link>{escape(link)}/story/{escape(guid)}?utm_source=rss</link>"
        f'<guid isPermaLink="false">{escape(guid)}</guid>'
        f"<description>{escape(story.summary)}</description>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        "</item>"
        for guid, story, published in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<rss version="2.0"><channel><title>{escape(title)}</title><link>{escape(link)}</link>'
        f"<description>newswatch demo wire</description><language>en</language>{items}</channel></rss>"
    ).encode()


class DrippingFeed:
    """Releases a few stories at once, then one more every ``every`` seconds.

    Each run stamps its own guids, so every `make run` shows fresh alerts while the
    fetcher's memory of earlier runs stays intact.
    """

    def __init__(
        self,
        stories: list[Story],
        *,
        first: int = 3,
        every: float = 3.0,
        run_id: str | None = None,
        link: str = "http://127.0.0.1",
        title: str = "newswatch demo wire",
        guid_prefix: str = "demo",
    ) -> None:
        self._stories = stories
        self._first = first
        self._every = every
        self._started = time.monotonic()
        self._run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self._now = datetime.now(UTC)
        self.link = link
        self.title = title
        self._guid = guid_prefix

    def released(self) -> int:
        elapsed = time.monotonic() - self._started
        return min(len(self._stories), self._first + int(elapsed // self._every))

    def document(self) -> bytes:
        count = self.released()
        entries = [
            (f"{self._guid}-{self._run_id}-{n:02d}", story, self._now + timedelta(seconds=n))
            for n, story in enumerate(self._stories[:count])
        ]
        return render_rss(self.title, self.link, list(reversed(entries)))
