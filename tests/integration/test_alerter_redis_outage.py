"""The alerter process outlives a kill -9 of its Redis (a private one of this test's own), says so
in a few lines, and delivers an alert made after Redis is back."""

import asyncio
import os
import subprocess
import sys

import pytest

from newswatch.alerter.settings import AlerterSettings
from newswatch.demo.receivers import HttpServer, Response
from newswatch.shared.kafka import ensure_topics
from tests.factories import classified
from tests.integration.alerter_harness import publish
from tests.integration.helpers import until
from tests.integration.service_process import MOST_LINES, ServiceProcess, outage

pytestmark = [pytest.mark.kafka, pytest.mark.redis]
NEWSWATCH = [sys.executable, "-m", "newswatch.cli"]


def add_subscription(env: dict[str, str], channel: str) -> None:
    done = subprocess.run(
        [
            *NEWSWATCH,
            "subscriptions",
            "add",
            "desk",
            "--tags",
            "strike,sanctions",
            "--channel",
            channel,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


async def test_the_alerter_outlives_a_redis_kill_9_and_delivers_after_it_is_back(
    private_redis, server_env, tmp_path
):
    env = {
        **server_env,
        "REDIS_URL": private_redis.url,
        "NEWSWATCH_ALERTER_ALLOWED_NETWORKS": "127.0.0.0/8",
    }
    receiver = HttpServer().start()
    receiver.routes["/hook"] = lambda _: Response(200, b"ok")
    settings = AlerterSettings(**env)
    await ensure_topics(settings, [settings.topics.classified])
    add_subscription(env, f"webhook:{receiver.url}/hook")
    alerter = ServiceProcess("alerter", env, tmp_path / "alerter.log").start()
    hooks = lambda: [r for r in receiver.requests if r.path == "/hook"]  # noqa: E731
    try:
        await publish(settings, classified(1, title="Missile strike hits Odesa port"))
        await until(lambda: alerter.alive() and len(hooks()) == 1, within=60, explain=alerter.tail)
        await asyncio.sleep(1.5)  # the delivery's ledger reaches the append-only file (fsync 1 s)

        lines = await outage(alerter, private_redis.kill9, noticed="ConnectionError")
        assert len(lines) < MOST_LINES, "\n".join(lines)
        await asyncio.to_thread(private_redis.start)
        await publish(
            settings,
            classified(2, tags={"sanctions": 0.9}, title="EU adopts sanctions on Belarus banks"),
        )

        await until(lambda: len(hooks()) == 2, within=60, explain=alerter.tail)
        assert b"EU adopts sanctions on Belarus banks" in hooks()[1].body
        assert alerter.alive()
    finally:
        alerter.stop()
        receiver.stop()
