"""Real local servers that record what they receive: HTTP (feeds, Slack, webhooks) and SMTP."""

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[[Request], Response]


class HttpServer:
    """A threaded HTTP server on localhost: GET/POST routes by path, every request recorded."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.on_request: Callable[[Request], None] | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    self.path.split("?", 1)[0],
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                response = server._dispatch(request)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                self.wfile.write(response.body)

            do_GET = do_POST = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def _dispatch(self, request: Request) -> Response:
        route = self.routes.get(request.path)
        if route is None:
            return Response(404, b"not found")
        response = route(request)
        if request.method == "POST":
            with self._lock:
                self.requests.append(request)
            if self.on_request:
                self.on_request(request)
        return response

    def received(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    @property
    def url(self) -> str:
        host, port = self._httpd.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> "HttpServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class _Recorder:
    def __init__(self, sink: "SmtpSink") -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        self._sink._record(message, list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpSink:
    """An SMTP server (aiosmtpd) that parses and keeps every message it accepts."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.messages: list[tuple[EmailMessage, list[str]]] = []
        self.on_message: Callable[[EmailMessage, list[str]], None] | None = None
        self._lock = threading.Lock()
        self._controller = Controller(_Recorder(self), hostname=host, port=port or free_port(host))

    def _record(self, message: EmailMessage, recipients: list[str]) -> None:
        with self._lock:
            self.messages.append((message, recipients))
        if self.on_message:
            self.on_message(message, recipients)

    @property
    def host(self) -> str:
        return self._controller.hostname

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


def free_port(host: str) -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
