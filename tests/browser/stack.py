"""The real pieces the console's browser tests run against: ``newswatch api`` as a process,
a local webhook receiver, and Debian's Chromium for Playwright.

Used by the tests, ``make screenshots`` and the console benchmark alike.
"""

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.environ.get("NEWSWATCH_CHROMIUM", "/usr/bin/chromium")
# Running as root (CI, containers) Chromium needs --no-sandbox; it loads only our pages.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]


class ApiProcess:
    """``newswatch api`` on a free loopback port, with the given environment."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            **env,
            "NEWSWATCH_ALERTER_API_HOST": "127.0.0.1",
            "NEWSWATCH_ALERTER_API_PORT": str(self.port),
            "NEWSWATCH_LOG_LEVEL": "WARNING",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> "ApiProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "newswatch.cli", "api"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"newswatch api exited: {err[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"newswatch api did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process = None


class WebhookReceiver:
    """Collects the JSON bodies (and headers) POSTed to it, on a free loopback port."""

    def __init__(self) -> None:
        # (headers with lower-case names, the JSON body, the raw body) of each POST
        self.received: list[tuple[dict[str, str], dict, bytes]] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.received.append((headers, json.loads(body or b"{}"), body))
                receiver.arrived.set()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


async def sign_in(page, base: str, key: str, path: str = "/") -> None:  # type: ignore[no-untyped-def]
    """Through the sign-in form, as an officer would; returns on the page signed in to."""
    await page.goto(base + path)
    await page.fill("#key", key)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url)
