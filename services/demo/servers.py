"""`newswatch demo-servers`: the demo feed, a Slack-style receiver, a webhook receiver and an
SMTP sink, printing a line for everything the alerter sends them."""

import contextlib
import json
import signal
import sys
import threading
from email.message import EmailMessage
from pathlib import Path

from newswatch.demo.feed import DrippingFeed, load_stories
from newswatch.demo.receivers import HttpServer, Request, Response, SmtpSink

_stdout_lock = threading.Lock()


def _print(line: str) -> None:
    # The HTTP and SMTP servers run in threads of their own; one write per line keeps lines whole.
    with _stdout_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class _Sinks:
    """Prints a line for everything the receivers get; with a ``received_file``, appends it
    there too, so `make run` can tell the first alert came all the way through."""

    def __init__(self, received_file: Path | None) -> None:
        self.received_file = received_file

    def say(self, line: str) -> None:
        if self.received_file is not None:
            with _stdout_lock, self.received_file.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        # The terminal's reader may be gone (`make run | tee` interrupted); the file has it.
        with contextlib.suppress(BrokenPipeError):
            _print(line)

    def on_post(self, request: Request) -> None:
        try:
            payload = json.loads(request.body)
        except ValueError:
            path = request.path.strip("/")
            self.say(f"[{path} sink] unreadable body ({len(request.body)} bytes)")
            return
        delivery = f"delivery {payload.get('delivery_id', '?')[:8]}"
        if request.path == "/apprise":  # Apprise's json:// notification
            self.say(f"[apprise sink] {payload.get('title', '')}")
        elif request.path == "/slack":
            blocks = len(payload.get("blocks", []))
            self.say(f"[slack sink] {blocks} blocks: {payload.get('text', '')}")
        elif payload.get("type") == "newswatch.digest":
            self.say(f"[webhook sink] {delivery} digest of {len(payload.get('entries', []))}")
        else:
            tags = ",".join(payload.get("tags", []))
            title = payload.get("classified", {}).get("item", {}).get("title", "")
            self.say(f"[webhook sink] {delivery} [{tags}] {title}")

    def on_mail(self, message: EmailMessage, recipients: list[str]) -> None:
        self.say(f"[smtp sink] to {', '.join(recipients)}: {message['Subject']}")


def main(
    host: str,
    http_port: int,
    smtp_port: int,
    drip_seconds: float,
    received_file: Path | None = None,
) -> None:
    sinks = _Sinks(received_file)
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
    signal.sigwait(stop_signals)
    http.stop()
    smtp.stop()
