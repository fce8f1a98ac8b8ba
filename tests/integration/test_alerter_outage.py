"""A receiver down for ten minutes of wall time loses nothing and gets nothing twice.

The receiver's port first refuses connections (nothing listens), then a server answers
500 until ten minutes after the first alert was made, then 200. Alerts keep being made
during the outage. Afterwards every alert must arrive exactly once, and each
subscription's alerts in the order they were made. The backoff cap is lowered (the
window is the default 24 hours), so the test ends soon after the outage does.
"""

import asyncio
import json
import threading
import time

import pytest

from newswatch.alerter.settings import AlerterSettings
from newswatch.demo.receivers import HttpServer, Request, Response, free_port
from newswatch.shared.contracts import ChannelTarget, Subscription
from tests.integration.alerter_harness import RunningAlerter, publish
from tests.integration.test_alerter_delivery import report

pytestmark = [pytest.mark.kafka, pytest.mark.redis]

OUTAGE_SECONDS = 600.0
REFUSING_SECONDS = 240.0  # of which the port refuses connections this long
SUBSCRIPTIONS = ["a", "b", "c"]
STORIES = 12  # published over the first eight minutes of the outage


class ComingBack:
    """Answers 500 until ``until`` (monotonic), then 200; records what it accepted, in order."""

    def __init__(self, until: float) -> None:
        self.until = until
        self.lock = threading.Lock()
        self.failed_answers = 0
        self.accepted: list[tuple[str, str, str]] = []  # path, delivery id, story id
        self.first_ok: float | None = None

    def __call__(self, request: Request) -> Response:
        with self.lock:
            if time.monotonic() < self.until:
                self.failed_answers += 1
                return Response(500, b"down for maintenance")
            body = json.loads(request.body)
            self.first_ok = self.first_ok or time.monotonic()
            self.accepted.append((request.path, body["delivery_id"], body["story_id"]))
        return Response(200)


async def test_a_receiver_down_for_ten_minutes_gets_every_alert_exactly_once_in_order(
    env_settings,
):
    port = free_port("127.0.0.1")
    url = f"http://127.0.0.1:{port}"
    settings = AlerterSettings(
        allowed_networks="127.0.0.0/8",
        backoff_base_seconds=1.0,
        backoff_max_seconds=20.0,  # lowered cap; the retry window stays the default 24 h
        http_timeout_seconds=2.0,
        retry_lease_seconds=10.0,
    )
    assert settings.retry_for_hours == 24.0 and settings.max_attempts == 0
    subs = [
        Subscription(
            id=name,
            team="outage",
            tags=["strike"],
            channels=[ChannelTarget(kind="webhook", target=f"{url}/{name}")],
        )
        for name in SUBSCRIPTIONS
    ]
    reports = [
        report(n, f"Strike on Town{n} depot", "Wire", f"Town{n}", n, minutes=n)
        for n in range(1, STORIES + 1)
    ]
    server: HttpServer | None = None
    started = time.monotonic()
    receiver = ComingBack(until=started + OUTAGE_SECONDS)
    try:
        async with RunningAlerter(settings) as running:
            await running.subscribe(*subs)
            running.start()
            for n, item in enumerate(reports):
                # Paced input, spread over the outage (not a wait for any outcome).
                await asyncio.sleep(max(0.0, started + n * 40.0 - time.monotonic()))
                await publish(settings, item)
                if server is None and time.monotonic() - started >= REFUSING_SECONDS:
                    server = HttpServer(port=port)
                    for name in SUBSCRIPTIONS:
                        server.routes[f"/{name}"] = receiver
                    server.start()
            expected = len(SUBSCRIPTIONS) * STORIES

            async def nothing_failed() -> None:
                for sub in subs:
                    for d in await running.alerter.ledger.recent(sub.team, sub.id, 100):
                        assert d.status != "failed", f"given up: {d.model_dump_json()}"

            deadline = started + OUTAGE_SECONDS + 240.0
            while len(receiver.accepted) < expected:
                assert time.monotonic() < deadline, f"{len(receiver.accepted)}/{expected} arrived"
                await nothing_failed()
                await asyncio.sleep(2.0)
            # Positive signal that everything is settled: the queue is empty.
            while await running.alerter.queue.size() or running.alerter.dispatcher.in_flight:
                assert time.monotonic() < deadline, "the retry queue never emptied"
                await asyncio.sleep(0.5)
            await nothing_failed()
    finally:
        if server is not None:
            server.stop()
    assert server is not None and receiver.failed_answers > 0, "the 500 phase happened"
    assert receiver.first_ok and receiver.first_ok - started >= OUTAGE_SECONDS
    ids = [delivery for _, delivery, _ in receiver.accepted]
    assert len(ids) == len(set(ids)) == len(SUBSCRIPTIONS) * STORIES, "each alert exactly once"
    for name in SUBSCRIPTIONS:
        order = [story for path, _, story in receiver.accepted if path == f"/{name}"]
        assert order == [r.item.id for r in reports], f"/{name} got its alerts out of order"
