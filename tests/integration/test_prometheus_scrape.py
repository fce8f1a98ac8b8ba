"""Debian's real Prometheus scrapes the running services; its HTTP API shows our series.

The four services run as processes (JSON logs on) against the shared Kafka and Redis with
a prefix of their own, each with its own health port; a feed with one air-strike story
goes through to a webhook. Prometheus (``deploy/local/prometheus.sh``, a run directory of
this test's own) scrapes every second with our alert rules loaded. Also checked here, as
the stack is up anyway: every line the services logged is a JSON object with the same
fields, and each /readyz answers 200 once the service is connected.
"""

import asyncio
import json
import os
import subprocess
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from newswatch.demo.feed import Story, render_rss
from newswatch.demo.receivers import HttpServer, Response
from tests.conftest import unavailable
from tests.e2e.test_pipeline import Services
from tests.servers import PrivateServer, ServerFailed, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.kafka, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
SERVICES = ("fetcher", "classifier", "alerter", "api")
AIR_STRIKE = Story(
    "Air strike on Kharkiv kills five, officials say",
    "Russian warplanes dropped glide bombs on a residential district of Kharkiv overnight, "
    "killing at least five people and injuring 30, the regional governor said.",
)
JSON_FIELDS = {"ts", "level", "logger", "service", "message"}


class PrivatePrometheus(PrivateServer):
    script = "prometheus.sh"
    name = "prometheus"
    port_variables = ("PROMETHEUS_PORT",)
    start_timeout = 60

    def __init__(self, config: Path) -> None:
        super().__init__()
        self.config = config

    def _extra_env(self) -> dict[str, str]:
        return {"PROMETHEUS_CONFIG": str(self.config)}


def _config(path: Path, targets: dict[str, int], api_port: int) -> Path:
    jobs = {f"newswatch-{name}": port for name, port in targets.items()}
    jobs["newswatch-api-port"] = api_port  # the API's own port serves /metrics too
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {"job_name": job, "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]}
            for job, port in jobs.items()
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


async def _eventually(
    check: Callable[[], Awaitable[bool]], within: float, explain: Callable[[], str]
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, f"timed out after {within}s\n{explain()}"
        await asyncio.sleep(0.5)


async def test_prometheus_scrapes_every_service_and_finds_the_pipeline_series(server_env, tmp_path):
    if not os.access("/usr/bin/prometheus", os.X_OK):
        installed = await asyncio.to_thread(
            subprocess.run,
            [str(ROOT / "deploy/local/prometheus.sh"), "install"],
            capture_output=True,
            text=True,
        )
        if installed.returncode != 0:
            unavailable(f"prometheus is not installed: {installed.stderr[-1000:]}")
    http = HttpServer().start()
    published = datetime.now(UTC)
    http.routes["/feed.xml"] = lambda _: Response(
        200,
        render_rss("Metrics Wire", http.url, [("m-1", AIR_STRIKE, published)]),
        {"Content-Type": "application/rss+xml"},
    )
    http.routes["/hook"] = lambda _: Response(200, b"ok")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - url: {http.url}/feed.xml\n    interval_seconds: 1\n")
    health = {name: free_port() for name in SERVICES}
    api_port = free_port()
    env = {
        **os.environ,
        **server_env,
        "NEWSWATCH_LOG_FORMAT": "json",
        "NEWSWATCH_FETCHER_FEEDS_FILE": str(feeds),
        "NEWSWATCH_FETCHER_MIN_INTERVAL_SECONDS": "1",
        "NEWSWATCH_ALERTER_ALLOWED_NETWORKS": "127.0.0.0/8",
        "NEWSWATCH_ALERTER_API_PORT": str(api_port),
        "PYTHONUNBUFFERED": "1",
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    services = Services(env, logs)
    prometheus = PrivatePrometheus(_config(tmp_path / "prometheus.yml", health, api_port))
    client = httpx.AsyncClient(timeout=5)
    try:
        services.run("topics", "create")
        services.run(
            "subscriptions", "add", "ops", "--team", "ops", "--tags", "strike",
            "--channel", f"webhook:{http.url}/hook",
        )  # fmt: skip
        key = services.run("keys", "create", "--team", "ops").strip()
        for name in SERVICES:
            services.env = {**env, "NEWSWATCH_HEALTH_PORT": str(health[name])}
            services.start(name)

        async def ready() -> bool:
            services.alive()
            for port in health.values():
                try:
                    answer = await client.get(f"http://127.0.0.1:{port}/readyz")
                except httpx.TransportError:
                    return False
                if answer.status_code != 200:
                    return False
            return True

        await _eventually(ready, 90, services.logs_text)
        try:
            await asyncio.to_thread(prometheus.start)
        except ServerFailed as exc:
            unavailable(f"could not start prometheus: {exc}")
        me = await client.get(f"http://127.0.0.1:{api_port}/v1/me", headers={"X-API-Key": key})
        assert me.status_code == 200, me.text
        await _eventually(
            lambda: asyncio.sleep(0, bool(http.received("/hook"))), 90, services.logs_text
        )

        api = f"http://127.0.0.1:{prometheus.port}/api/v1"

        async def query(expr: str) -> list[dict]:
            answer = (await client.get(f"{api}/query", params={"query": expr})).json()
            assert answer["status"] == "success", answer
            return answer["data"]["result"]

        expected = {
            'up{job=~"newswatch-.*"} == 1': len(SERVICES) + 1,
            "newswatch_fetcher_items_published_total >= 1": 1,
            'newswatch_fetcher_polls_total{outcome="ok"} >= 1': 1,
            'newswatch_fetcher_documents_parsed_total{reader="fast"} >= 1': 1,  # the demo feed
            "newswatch_fetcher_poll_duration_seconds_count >= 1": 1,
            "newswatch_fetcher_feeds == 1": 1,
            'newswatch_classifier_items_total{tag="strike"} >= 1': 1,
            "newswatch_classifier_classification_seconds_count >= 1": 1,
            'newswatch_alerter_deliveries_total{channel="webhook",outcome="delivered"} == 1': 1,
            "newswatch_alerter_delivery_latency_seconds_count == 1": 1,
            "newswatch_alerter_delivery_latency_seconds_sum < 60": 1,  # the api shows none
            "newswatch_alerter_retry_queue_depth == 0": 1,
            'newswatch_api_requests_total{route="/v1/me",status="200",job="newswatch-api-port"}'
            " >= 1": 1,
            # Lag is measured per assigned partition (the test's topics have 2) and drains.
            "sum(newswatch_classifier_consumer_lag) == 0": 1,
            "sum(newswatch_alerter_consumer_lag) == 0": 1,
        }
        found: dict[str, int] = {}

        async def series() -> bool:
            for expr in expected:
                found[expr] = len(await query(expr))
            return found == expected

        await _eventually(
            series, 60, lambda: f"{json.dumps(found, indent=1)}\n{services.logs_text()}"
        )
        assert len(await query("newswatch_classifier_consumer_lag")) == 2  # one per partition
        rules = (await client.get(f"{api}/rules")).json()["data"]["groups"]
        loaded = {r["name"]: r["health"] for g in rules for r in g["rules"]}
        assert "NewswatchDeliveryFailures" in loaded and set(loaded.values()) == {"ok"}, loaded
        assert (await client.get(f"http://127.0.0.1:{health['api']}/healthz")).status_code == 200
    finally:
        await client.aclose()
        services.stop()
        http.stop()
        prometheus.cleanup()
    for name in SERVICES:
        lines = (logs / f"{name}.log").read_text().splitlines()
        assert lines, f"{name} logged nothing"
        for line in lines:
            record = json.loads(line)  # every line, the libraries' included
            assert record.keys() >= JSON_FIELDS and record["service"] == name, line
