"""Alerts printed to the terminal: what `make run` shows, and handy when testing rules."""

import sys
from typing import ClassVar, TextIO

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels.base import Channel
from newswatch.shared.contracts import ChannelTarget


class ConsoleChannel(Channel):
    kind: ClassVar[str] = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    async def send(self, alert: Alert, target: ChannelTarget) -> None:
        self._stream.write(render_console(alert) + "\n")
        self._stream.flush()


def render_console(alert: Alert) -> str:
    lines = [
        f"ALERT [{alert.tag_line}] {alert.title}",
        f"  {alert.source} · {alert.published_at:%Y-%m-%d %H:%M} UTC · {alert.link or 'no link'}",
        *(f"  {line}" for line in alert.fact_lines),
        *(f'  evidence: "{quote}"' for quote in alert.evidence),
        f"  (subscription {alert.subscription_id})",
    ]
    return "\n".join(lines)
