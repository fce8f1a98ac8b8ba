"""What the demo receivers got, one terminal line per alert instead of one per channel.

`make run` shows each alert in full (the console channel) and then proof that the other
channels delivered it. Three receiver lines per alert, interleaved with the next alerts,
buried the alerts themselves; so the receipts for one alert are folded into one line:

    ✓ received by slack, email, webhook: [strike (100%)] Russian air assault on Kyiv ...

The line is printed as soon as every expected channel has the alert, or after a wait with
what did arrive (so a failing channel shows as missing, not as silence). A channel that
delivers after that gets a line of its own, marked late.

Pure logic: the caller passes the time and prints what comes back.
"""

import re
from dataclasses import dataclass, field

DEFAULT_CHANNELS = ("slack", "email", "webhook")
# "[strike (100%)] Title", "[newswatch: strike] Title", "[strike] Title": the title after it.
_TAG_PREFIX = re.compile(r"^\[[^\]]*\]\s*")
_DIGEST = "newswatch digest"


def alert_key(subject: str) -> str:
    """The alert a receipt belongs to: its title without the tag prefix each channel writes
    its own way. Digests are told apart by nothing the webhook and Slack share, and the demo
    sends one at a time: all are one key."""
    title = _TAG_PREFIX.sub("", subject, count=1).strip()
    return _DIGEST if title.startswith(_DIGEST) else title


@dataclass
class _Alert:
    subject: str
    first_seen: float
    channels: list[str] = field(default_factory=list)


class Receipts:
    def __init__(
        self,
        expected: tuple[str, ...] = DEFAULT_CHANNELS,
        wait_seconds: float = 10.0,
        remember_seconds: float = 120.0,
    ) -> None:
        self.expected = expected
        self.wait_seconds = wait_seconds
        self.remember_seconds = remember_seconds
        self._open: dict[str, _Alert] = {}
        self._reported: dict[str, float] = {}  # key -> when its line was printed

    def add(self, channel: str, subject: str, now: float) -> list[str]:
        """Record that `channel` received `subject`; the lines now ready to print."""
        key = alert_key(subject)
        reported = self._reported.get(key)
        if reported is not None and now - reported < self.remember_seconds:
            return [f"✓ received by {channel} (late): {subject}"]
        alert = self._open.setdefault(key, _Alert(subject, now))
        if _TAG_PREFIX.match(subject) and "%" in subject and "%" not in alert.subject:
            alert.subject = subject  # the form with the confidence says the most
        if channel not in alert.channels:
            alert.channels.append(channel)
        if all(name in alert.channels for name in self.expected):
            return [self._close(key, now)]
        return []

    def due(self, now: float) -> list[str]:
        """Lines for alerts that some expected channel has not received within the wait."""
        for key, at in list(self._reported.items()):
            if now - at >= self.remember_seconds:
                del self._reported[key]
        late = [key for key, a in self._open.items() if now - a.first_seen >= self.wait_seconds]
        return [self._close(key, now) for key in late]

    def _close(self, key: str, now: float) -> str:
        alert = self._open.pop(key)
        self._reported[key] = now
        order = {name: n for n, name in enumerate(self.expected)}
        channels = sorted(alert.channels, key=lambda name: order.get(name, len(order)))
        line = f"✓ received by {', '.join(channels)}"
        missing = [name for name in self.expected if name not in alert.channels]
        if missing:
            line += f" (no {', '.join(missing)} within {self.wait_seconds:g} s)"
        return f"{line}: {alert.subject}"
