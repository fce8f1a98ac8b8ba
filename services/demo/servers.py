"""`newswatch demo-servers`: the demo feed, a Slack-style receiver, a webhook receiver and an
SMTP sink, printing one line per alert they received (`receipts`)."""

import contextlib
import json
import signal
import sys
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from newswatch.demo.feed import DrippingFeed, load_stories
from newswatch.demo.receipts import Receipts
from newswatch.demo.receivers import HttpServer, Request, Response, SmtpSink

_stdout_lock = threading.Lock()


def _print(line: str) -> None:
    # The HTTP and SMTP servers run in threads of their own; one write per line keeps lines whole.
    with _stdout_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class _Sinks:
    """Folds what the receivers get into one line per alert (`Receipts`) on stdout and, with
    a ``received_file``, in that file too, so `make run` can tell the first alert came all
    the way through. Each receipt as it came is logged to stderr."""

    def __init__(self, received_file: Path | None, receipts: Receipts) -> None:
        self.received_file = received_file
        self.receipts = receipts
        self._lock = threading.Lock()  # receivers call from their own threads

    def received(self, channel: str, subject: str, detail: str = "") -> None:
        print(f"[{channel} receiver] {detail}{subject}", file=sys.stderr, flush=True)
        with self._lock:
            lines = self.receipts.add(channel, subject, time.monotonic())
            self._show(lines)

    def flush_due(self) -> None:
        with self._lock:
            self._show(self.receipts.due(time.monotonic()))

    def _show(self, lines: list[str]) -> None:
        if lines and self.received_file is not None:
            with self.received_file.open("a", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in lines))
        # The terminal's reader may be gone (`make run | tee` interrupted); the file has it.
        with contextlib.suppress(BrokenPipeError):
            for line in lines:
                _print(line)

    def on_post(self, request: Request) -> None:
        channel = {"/slack": "slack", "/apprise": "apprise"}.get(request.path, "webhook")
        try:
            payload = json.loads(request.body)
        except ValueError:
            _print(f"[{channel} receiver] unreadable body ({len(request.body)} bytes)")
            return
        if request.path == "/apprise":  # Apprise's json:// notification
            self.received(channel, payload.get("title", ""))
        elif request.path == "/slack":
            self.received(channel, payload.get("text", ""))
        elif payload.get("type") == "newswatch.digest":
            count = len(payload.get("entries", []))
            self.received(channel, f"newswatch digest of {count}", _delivery(payload))
        else:
            tags = ",".join(payload.get("tags", []))
            title = payload.get("classified", {}).get("item", {}).get("title", "")
            self.received(channel, f"[{tags}] {title}", _delivery(payload))

    def on_mail(self, message: EmailMessage, recipients: list[str]) -> None:
        self.received("email", message["Subject"] or "", f"to {', '.join(recipients)}: ")


def _delivery(payload: dict) -> str:
    return f"delivery {str(payload.get('delivery_id', '?'))[:8]} "


def main(
    host: str,
    http_port: int,
    smtp_port: int,
    drip_seconds: float,
    received_file: Path | None = None,
) -> None:
    sinks = _Sinks(received_file, Receipts())
    http = HttpServer(host, http_port)
    feed = DrippingFeed(load_stories(), every=drip_seconds, link=http.url)
    rss = {"Content-Type": "application/rss+xml; charset=utf-8"}
    # A second outlet tells three of the wire's events later: they fold into its stories.
    courier = DrippingFeed(
        load_stories("second_outlet"),
        first=0,
        every=drip_seconds * 3,
        link=http.url,
        title="Eastern Courier (demo)",
        guid_prefix="courier",
    )
    http.routes["/feed.xml"] = lambda _: Response(200, feed.document(), rss)
    http.routes["/courier.xml"] = lambda _: Response(200, courier.document(), rss)
    http.routes["/slack"] = lambda _: Response(200, b"ok")
    http.routes["/webhook"] = lambda _: Response(200, b'{"ok":true}')
    http.routes["/apprise"] = lambda _: Response(200, b"ok")
    http.on_request = sinks.on_post
    smtp = SmtpSink(host, smtp_port)
    smtp.on_message = sinks.on_mail
    # Block the stop signals before any thread starts (threads inherit the mask), then wait
    # for one synchronously: a Python-level handler that sets an Event can deadlock when a
    # second signal lands while the main thread holds the Event's lock (Ctrl-C, then TERM).
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    http.start()
    smtp.start()
    _print(
        f"[demo] feeds {http.url}/feed.xml, /courier.xml · slack {http.url}/slack · "
        f"webhook {http.url}/webhook · apprise json{http.url[4:]}/apprise · "
        f"smtp {host}:{smtp.port}"
    )
    # Woken twice a second to print the receipts of alerts some channel has not delivered.
    while signal.sigtimedwait(stop_signals, 0.5) is None:
        sinks.flush_due()
    http.stop()
    smtp.stop()
