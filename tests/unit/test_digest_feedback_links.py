"""Each story of a digest carries its own "False alarm" links in email and Slack, as an alert
does; without links (no feedback secret) digests render as before."""

import json
import re

from slack_sdk.models.blocks import Block

from newswatch.alerter.alert import Digest, DigestEntry
from newswatch.alerter.channels.email import email_message
from newswatch.alerter.channels.slack import slack_digest
from newswatch.alerter.feedback.links import LinkMaker
from newswatch.alerter.feedback.tokens import LinkClaim, verify
from newswatch.alerter.stories import StoryBook
from tests.factories import classified

BASE = "http://api.test/v1/feedback/link?token="
# Hand-written links: what the renderers must show is exactly what the notice carries.
LINKS = {
    1: (("strike", BASE + "one-strike"),),
    2: (("strike", BASE + "two-strike"), ("sanctions", BASE + "two-sanctions")),
}


def digest(with_links: bool) -> Digest:
    entries = []
    for n, tags in ((1, {"strike": 0.9}), (2, {"strike": 0.8, "sanctions": 0.7})):
        item = classified(n, tags=tags, source=f"Outlet {n}")
        story = StoryBook().assign(item).story
        links = LINKS[n] if with_links else ()
        entries.append(DigestEntry(story, item, item.tags, n == 2, feedback_links=links))
    return Digest("e" * 32, "ops", entries)


def parts(notice: Digest) -> tuple[str, str]:
    message = email_message(notice, "a@example.org", "b@example.org")
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def test_each_digest_entry_carries_its_links_in_the_email_text_under_its_story():
    text, _ = parts(digest(with_links=True))
    first, second = text.split("Update: ")  # the second entry is an update
    assert "  False alarm (strike)? http://api.test/v1/feedback/link?token=one-strike" in first
    assert "two-" not in first
    assert "  False alarm (strike)? http://api.test/v1/feedback/link?token=two-strike" in second
    assert (
        "  False alarm (sanctions)? http://api.test/v1/feedback/link?token=two-sanctions" in second
    )
    assert "one-strike" not in second


def test_each_digest_entry_carries_its_links_in_the_email_html_inside_its_item():
    _, html = parts(digest(with_links=True))
    first, second = re.findall(r"<li>.*?</li>", html)
    assert (
        '<a href="http://api.test/v1/feedback/link?token=one-strike">False alarm: strike</a>'
        in (first)
    )
    assert re.findall(r'token=([\w-]+)">False alarm: (\w+)<', second) == [
        ("two-strike", "strike"),
        ("two-sanctions", "sanctions"),
    ]


def test_each_digest_entry_carries_its_links_in_its_slack_section():
    message = slack_digest(digest(with_links=True))
    for block in message["blocks"]:
        Block.parse(block).validate_json()
    sections = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]
    assert len(sections) == 2
    assert sections[0].endswith(
        "\n<http://api.test/v1/feedback/link?token=one-strike|False alarm: strike>"
    )
    assert sections[1].endswith(
        "\n<http://api.test/v1/feedback/link?token=two-strike|False alarm: strike> · "
        "<http://api.test/v1/feedback/link?token=two-sanctions|False alarm: sanctions>"
    )


def test_a_long_headline_gives_way_so_the_slack_link_is_never_clipped():
    notice = digest(with_links=True)
    entry = notice.entries[0]
    entry.item.item.title = "Strike " * 600  # far over a section's 3000 characters
    text = slack_digest(notice)["blocks"][1]["text"]["text"]
    assert len(text) <= 3000
    assert text.endswith("<http://api.test/v1/feedback/link?token=one-strike|False alarm: strike>")


def test_without_links_a_digest_shows_none():
    text, html = parts(digest(with_links=False))
    slack = json.dumps(slack_digest(digest(with_links=False)))
    for rendered in (text, html, slack):
        assert "False alarm" not in rendered and "feedback/link" not in rendered


def test_a_digest_entrys_link_names_the_digest_delivery_and_the_entrys_item():
    maker = LinkMaker("s3cret", "http://api.test", ttl_seconds=7 * 86400)
    item = classified(7, tags={"strike": 0.9, "sanctions": 0.6})
    links = maker.links("ops", "e" * 32, item, item.tags, now=1_000_000.0)
    assert [tag for tag, _ in links] == ["strike", "sanctions"]
    claims = [verify(url.removeprefix(BASE), "s3cret", now=1_000_001.0) for _, url in links]
    assert claims == [
        LinkClaim("ops", "e" * 32, f"{7:032x}", "strike", 1_000_000 + 7 * 86400),
        LinkClaim("ops", "e" * 32, f"{7:032x}", "sanctions", 1_000_000 + 7 * 86400),
    ]
