"""Alerts printed to the terminal: what `make run` shows, and handy when testing rules."""

import sys
from typing import ClassVar, TextIO

from newswatch.alerter.alert import Notice, render_text
from newswatch.alerter.channels.base import Channel
from newswatch.alerter.channels.http import Poster
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.contracts import ChannelTarget


class ConsoleChannel(Channel):
    kind: ClassVar[str] = "console"

    @classmethod
    def from_settings(cls, settings: AlerterSettings, poster: Poster) -> "ConsoleChannel":
        return cls()

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdout

    async def send(self, notice: Notice, target: ChannelTarget) -> None:
        self._stream.write(render_console(notice) + "\n")
        self._stream.flush()


def render_console(notice: Notice) -> str:
    first, *rest = render_text(notice).splitlines()
    label = "DIGEST" if first.startswith("newswatch digest") else "ALERT"
    return "\n".join([f"{label} {first}", *(f"  {line}" if line else "" for line in rest)])
