"""The whole pipeline as an operator runs it: three `newswatch` processes, real Kafka and Redis,
a feed server, a webhook receiver and an SMTP server on localhost."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from newswatch.demo.feed import Story, render_rss
from newswatch.demo.receivers import HttpServer, Response, SmtpSink, free_port
from newswatch.shared.contracts import DeadLetter
from newswatch.shared.kafka import create_producer
from newswatch.shared.settings import CommonSettings
from tests.integration.helpers import read_topic, until

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.redis]
NEWSWATCH = [sys.executable, "-m", "newswatch.cli"]
AIR_STRIKE = Story(
    "Air strike on Kharkiv kills five, officials say",
    "Russian warplanes dropped glide bombs on a residential district of Kharkiv overnight, "
    "killing at least five people and injuring 30, the regional governor said.",
)
UNRELATED = Story(
    "Bakers strike a deal over flour prices",
    "Millers and bakers agreed new prices after a week of talks.",
)


class Services:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [*NEWSWATCH, *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"newswatch {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def start(self, name: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.procs[name] = subprocess.Popen(
            [*NEWSWATCH, name], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

    def alive(self) -> bool:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited with {proc.returncode}\n{self.logs_text()}"
        return True

    def logs_text(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(self.logs.glob("*.log"))
        )


async def test_an_air_strike_entry_becomes_one_webhook_delivery_and_one_email(server_env, tmp_path):
    published = datetime.now(UTC)
    api_port = free_port("127.0.0.1")
    http = HttpServer().start()
    feed_polls: list[float] = []  # the server records POSTs only; the feed's GETs are counted here

    def feed(_: object) -> Response:
        feed_polls.append(time.monotonic())
        body = render_rss(
            "E2E Wire",
            http.url,
            [("e2e-1", AIR_STRIKE, published), ("e2e-2", UNRELATED, published)],
        )
        return Response(200, body, {"Content-Type": "application/rss+xml"})

    http.routes["/feed.xml"] = feed
    http.routes["/hook"] = lambda _: Response(200, b"ok")
    smtp = SmtpSink().start()
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        f"feeds:\n  - url: {http.url}/feed.xml\n    name: E2E Wire\n    interval_seconds: 1\n"
    )
    env = {
        **os.environ,
        **server_env,
        "NEWSWATCH_FETCHER_FEEDS_FILE": str(feeds),
        # The feed's 1 s interval holds only within these bounds (the default minimum is 60 s).
        "NEWSWATCH_FETCHER_MIN_INTERVAL_SECONDS": "1",
        "NEWSWATCH_FETCHER_MAX_INTERVAL_SECONDS": "1",
        "NEWSWATCH_ALERTER_SMTP_HOST": smtp.host,
        "NEWSWATCH_ALERTER_SMTP_PORT": str(smtp.port),
        "NEWSWATCH_ALERTER_ALLOWED_NETWORKS": "127.0.0.0/8",
        "NEWSWATCH_ALERTER_API_PORT": str(api_port),
        "PYTHONUNBUFFERED": "1",
    }
    services = Services(env, tmp_path)
    try:
        services.run("topics", "create")
        # One subscription by the administrator's CLI, one by a team through the API.
        services.run(
            "subscriptions",
            "add",
            "desk",
            "--team",
            "watch",
            "--tags",
            "strike",
            "--channel",
            "email:desk@example.org",
        )
        key = services.run("keys", "create", "--team", "watch").strip()
        services.start("api")
        api = httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", headers={"X-API-Key": key})
        await _api_ready(api, services)
        created = await api.post(
            "/v1/subscriptions",
            json={
                "id": "hooks",
                "tags": ["strike"],
                "channels": [{"kind": "webhook", "target": f"{http.url}/hook"}],
            },
        )
        assert created.status_code == 201, created.text
        # A poison message upstream must be dead-lettered, not stop the classifier.
        settings = CommonSettings(**{k: v for k, v in server_env.items()})
        producer = create_producer(settings, "e2e-poison")
        await producer.start()
        await producer.send_and_wait(settings.topics.items, b"\xff not an item", key=b"poison")
        await producer.stop()

        for name in ("classifier", "alerter", "fetcher"):
            services.start(name)
        await until(
            lambda: services.alive() and http.received("/hook") and smtp.messages,
            within=90,
            explain=services.logs_text,
        )
        # Several more polls of the feed, seen at the server: still nothing may arrive twice.
        polls_at_first_alert = len(feed_polls)
        await until(
            lambda: services.alive() and len(feed_polls) >= polls_at_first_alert + 4,
            within=30,
            explain=services.logs_text,
        )
        items = await read_topic(
            server_env["KAFKA_BOOTSTRAP_SERVERS"], settings.topics.items, expect=4, within=5
        )
        assert len(items) == 3, "the poison record and the feed's two entries, each once"

        (hook,) = http.received("/hook")
        payload = json.loads(hook.body)
        assert payload["classified"]["item"]["title"] == AIR_STRIKE.title
        assert payload["tags"] == ["strike"]
        facts = payload["classified"]["facts"]
        assert {(c["kind"], c["count"], c["qualifier"]) for c in facts["casualties"]} >= {
            ("killed", 5, "at_least")
        }
        assert any(p["name"] == "Kharkiv" and p["country_code"] == "UA" for p in facts["places"])
        ((message, recipients),) = smtp.messages
        assert recipients == ["desk@example.org"] and AIR_STRIKE.title in message["Subject"]
        deliveries = services.run("subscriptions", "deliveries", "desk", "--team", "watch")
        assert deliveries.count("delivered") == 1
        (hooked,) = (await api.get("/v1/subscriptions/hooks/deliveries")).json()
        assert hooked["status"] == "delivered" and hooked["story_id"] == payload["story_id"]
        letters = await read_topic(
            server_env["KAFKA_BOOTSTRAP_SERVERS"], settings.topics.dead_letter("items"), expect=1
        )
        assert DeadLetter.model_validate_json(letters[0].value).error_kind == "invalid_json"
    finally:
        services.stop()
        http.stop()
        smtp.stop()


async def _api_ready(api: httpx.AsyncClient, services: Services) -> None:
    for _ in range(300):
        try:
            if (await api.get("/v1/me")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"the API did not answer\n{services.logs_text()}")
