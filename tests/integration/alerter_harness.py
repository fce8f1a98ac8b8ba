"""An alerter with real adapters and recording receivers, for the integration tests."""

import asyncio
import json
import threading
import time
from collections.abc import Callable
from contextlib import AsyncExitStack

from slack_sdk.models.blocks import Block

from newswatch.alerter.bootstrap import running_alerter
from newswatch.alerter.channels.webhook import verify
from newswatch.alerter.settings import AlerterSettings
from newswatch.demo.receivers import HttpServer, Request, Response, SmtpSink
from newswatch.shared.contracts import ClassifiedItem, Subscription
from newswatch.shared.kafka import create_producer

SECRET = "hook-secret"


class RunningAlerter:
    """An Alerter built by the composition root, run in the background as the service runs it."""

    def __init__(self, settings: AlerterSettings) -> None:
        self.settings = settings
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> "RunningAlerter":
        self.alerter = await self._stack.enter_async_context(
            running_alerter(self.settings, "test-alerter")
        )
        self.task: asyncio.Task | None = None
        return self

    async def subscribe(self, *subs: Subscription) -> None:
        for sub in subs:
            await self.alerter.store.save(sub)

    def start(self) -> "RunningAlerter":
        self.task = asyncio.create_task(self.alerter.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self._stack.aclose()


async def publish(
    settings: AlerterSettings, *items: ClassifiedItem | bytes, partition: int | None = None
) -> None:
    producer = create_producer(settings, "test-classifier")
    await producer.start()
    try:
        for item in items:
            value = item if isinstance(item, bytes) else item.to_json_bytes()
            key = b"poison" if isinstance(item, bytes) else item.item.id.encode()
            await producer.send_and_wait(
                settings.topics.classified, value, key=key, partition=partition
            )
    finally:
        await producer.stop()


class Receivers:
    """Recording receivers on localhost, each checking what a real service would check:
    the webhook's HMAC signature, Slack's Block Kit schema, Apprise's JSON, SMTP."""

    def __init__(self) -> None:
        self.http = HttpServer().start()
        self.smtp = SmtpSink().start()
        self.answers: list[tuple[str, int, float]] = []  # path, status, when
        self._lock = threading.Lock()
        self.route("/hook", self._check_signature)
        self.route("/slack", self._check_block_kit)
        self.route("/apprise", lambda r: Response(200 if "message" in json.loads(r.body) else 400))

    def route(self, path: str, answer: Callable[[Request], Response]) -> None:
        def recorded(request: Request) -> Response:
            response = answer(request)
            with self._lock:
                self.answers.append((path, response.status, time.monotonic()))
            return response

        self.http.routes[path] = recorded

    def ok(self, path: str) -> int:
        """Requests to ``path`` that were answered with success."""
        with self._lock:
            return sum(1 for p, status, _ in self.answers if p == path and status < 300)

    def bodies(self, path: str) -> list[dict]:
        return [json.loads(r.body) for r in self.http.received(path)]

    @staticmethod
    def _check_signature(request: Request) -> Response:
        h = request.headers
        good = verify(
            request.body,
            SECRET,
            h.get("x-newswatch-timestamp", ""),
            h.get("x-newswatch-signature", ""),
        )
        return Response(200 if good else 401)

    @staticmethod
    def _check_block_kit(request: Request) -> Response:
        message = json.loads(request.body)
        try:
            for block in message["blocks"]:
                Block.parse(block).validate_json()
        except Exception as exc:  # a receiver answers, whatever was wrong
            return Response(400, str(exc).encode())
        return Response(200)

    @property
    def url(self) -> str:
        return self.http.url

    def close(self) -> None:
        self.http.stop()
        self.smtp.stop()
