"""Slack incoming webhooks, with Block Kit messages Slack accepts.

Feed text is escaped (``&``, ``<``, ``>``) so that nothing from a feed can form a
link, a mention or ``<!channel>``.
"""

import json
from typing import Any, ClassVar

from newswatch.alerter.alert import Alert, Digest, Notice
from newswatch.alerter.channels.http import HttpChannel, Poster
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ChannelTarget

# Slack's documented limits: header text 150 chars, section text 3000, 50 blocks a message.
_HEADER_MAX = 150
_SECTION_MAX = 3000
_DIGEST_ENTRIES_MAX = 45


class SlackChannel(HttpChannel):
    kind: ClassVar[str] = "slack"

    @classmethod
    def from_settings(cls, settings: AlerterSettings, poster: Poster) -> "SlackChannel":
        return cls(poster)

    async def send(self, notice: Notice, target: ChannelTarget) -> None:
        message = slack_message(notice) if isinstance(notice, Alert) else slack_digest(notice)
        await self.post_json(target.target, json.dumps(message).encode())


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """For plain_text fields, which Slack does not parse: angle brackets become look-alikes anyway,
    so that no client, bridge or later format change can turn feed text into a mention."""
    return text.replace("<", "‹").replace(">", "›")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _headline(title: str, link: str | None) -> str:
    # Slack's link syntax cannot carry '|' or '>' in the URL; escape() covers '>', '|' is encoded.
    return (
        f"*<{escape(link).replace('|', '%7C')}|{escape(title)}>*" if link else f"*{escape(title)}*"
    )


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, _SECTION_MAX)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, _SECTION_MAX)}]}


def _header(text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _clip(plain(text), _HEADER_MAX)},
    }


def _false_alarms(links: tuple[tuple[str, str], ...]) -> str:
    return " · ".join(f"<{escape(url)}|False alarm: {escape(tag)}>" for tag, url in links)


def slack_message(alert: Alert) -> dict[str, Any]:
    context = f"{escape(alert.source)} · {alert.published_at:%Y-%m-%d %H:%M} UTC · {escape(alert.tag_line)}"
    if alert.reported_by:
        context += f" · {alert.reported_by}"
    blocks = [_header(alert.title), _section(_headline(alert.title, alert.link)), _context(context)]
    if alert.fact_lines:
        blocks.append(_section("\n".join(escape(line) for line in alert.fact_lines)))
    if alert.evidence:
        blocks.append(_section("\n".join(f"> {escape(q)}" for q in alert.evidence)))
    if alert.feedback_links:
        blocks.append(_context(_false_alarms(alert.feedback_links)))
    return {
        # The fallback text is what notifications show, and Slack parses it as mrkdwn.
        "text": _clip(escape(f"[{alert.tag_line}] {alert.title}"), 3000),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }


def slack_digest(digest: Digest) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [_header(digest.title)]
    for entry in digest.entries[:_DIGEST_ENTRIES_MAX]:
        item = entry.item.item
        line = f"{escape(item.source)} · {escape(entry.tag_line)}"
        if entry.reported_by:
            line += f" · {entry.reported_by}"
        prefix = "Update: " if entry.update else ""
        text = f"{prefix}{_headline(entry.title, entry.link)}\n{line}"
        if entry.feedback_links:
            # In the entry's own section (a block each would pass Slack's 50 blocks); the
            # story's text gives way so that clipping never cuts a link.
            links = "\n" + _false_alarms(entry.feedback_links)
            text = _clip(text, max(_SECTION_MAX - len(links), 200)) + links
        blocks.append(_section(text))
    hidden = len(digest.entries) - _DIGEST_ENTRIES_MAX
    if hidden > 0:
        blocks.append(_context(f"and {hidden} more"))
    return {
        "text": _clip(escape(digest.title), 3000),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
