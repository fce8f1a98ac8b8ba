"""Slack incoming webhooks, with a Block Kit message Slack accepts.

Feed text is escaped (``&``, ``<``, ``>``) so that nothing from a feed can form a
link, a mention or ``<!channel>``.
"""

import json
from typing import Any, ClassVar

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels.http import HttpChannel, post
from newswatch.shared.contracts import ChannelTarget

# Slack's documented limits: header text 150 chars, section text 3000, fallback text 40000.
_HEADER_MAX = 150
_SECTION_MAX = 3000


class SlackChannel(HttpChannel):
    kind: ClassVar[str] = "slack"

    async def send(self, alert: Alert, target: ChannelTarget) -> None:
        body = json.dumps(slack_message(alert)).encode()
        await post(
            self._client, target.target, content=body, headers={"Content-Type": "application/json"}
        )


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str) -> str:
    """For plain_text fields, which Slack does not parse: angle brackets become look-alikes anyway,
    so that no client, bridge or later format change can turn feed text into a mention."""
    return text.replace("<", "‹").replace(">", "›")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_message(alert: Alert) -> dict[str, Any]:
    title = escape(alert.title)
    headline = f"*<{escape(alert.link)}|{title}>*" if alert.link else f"*{title}*"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(plain(alert.title), _HEADER_MAX)},
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(headline, _SECTION_MAX)}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": _clip(
                        f"{escape(alert.source)} · {alert.published_at:%Y-%m-%d %H:%M} UTC · {escape(alert.tag_line)}",
                        _SECTION_MAX,
                    ),
                }
            ],
        },
    ]
    if alert.fact_lines:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _clip(
                        "\n".join(escape(line) for line in alert.fact_lines), _SECTION_MAX
                    ),
                },
            }
        )
    if alert.evidence:
        quotes = "\n".join(f"> {escape(q)}" for q in alert.evidence)
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _clip(quotes, _SECTION_MAX)}}
        )
    return {
        # The fallback text is what notifications show, and Slack parses it as mrkdwn.
        "text": _clip(escape(f"[{alert.tag_line}] {alert.title}"), 3000),
        "blocks": blocks,
        "unfurl_links": False,
        "unfurl_media": False,
    }
