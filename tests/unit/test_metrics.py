"""Metrics: counts reach Prometheus with the right labels, lag and stalls, feed gauges,
the health server's answers and the API's route labels."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, CollectorRegistry, Counter

from newswatch.alerter.metrics import ROUTES as ALERTER_ROUTES
from newswatch.alerter.web import metrics as api_metrics
from newswatch.fetcher.feeds import FeedSpec
from newswatch.fetcher.metrics import ROUTES as FETCHER_ROUTES
from newswatch.fetcher.metrics import feed_gauges
from newswatch.fetcher.rounds import Plan
from newswatch.fetcher.schedule import FeedHealth
from newswatch.shared.health import Health, Probe
from newswatch.shared.metrics import CounterRoutes, Progress, lag
from newswatch.shared.observability import Counters
from tests.servers import free_port


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_prefix_route_puts_the_part_after_the_dot_in_a_label():
    registry = CollectorRegistry()
    errors = Counter("t_errors_total", "", ["kind", "stage"], registry=registry)
    routes = CounterRoutes({"fetch_error.": [(errors, {"stage": "poll"}, "kind")]})
    counters = Counters(routes)
    counters.inc("fetch_error.timeout")
    counters.inc("fetch_error.timeout", 2)
    counters.inc("something_else")  # log-only: no route, no error
    assert registry.get_sample_value("t_errors_total", {"kind": "timeout", "stage": "poll"}) == 3
    assert counters.get("something_else") == 1  # the log summary still has everything


def test_the_fetchers_counts_land_in_its_metrics():
    before = {
        "error": value("newswatch_fetcher_polls_total", outcome="error"),
        "timeout": value("newswatch_fetcher_poll_errors_total", kind="timeout"),
        "304": value("newswatch_fetcher_polls_total", outcome="not_modified"),
        "items": value("newswatch_fetcher_items_published_total"),
        "slow": value("newswatch_fetcher_documents_parsed_total", reader="feedparser"),
        "malformed": value("newswatch_fetcher_documents_malformed_total"),
    }
    counters = Counters(FETCHER_ROUTES)
    counters.inc("fetch_error.timeout")
    counters.inc("feed_not_modified")
    counters.inc("items_published", 3)
    counters.inc("feed_parsed.feedparser")
    counters.inc("feed_recovered_malformed")
    assert value("newswatch_fetcher_polls_total", outcome="error") == before["error"] + 1
    assert value("newswatch_fetcher_poll_errors_total", kind="timeout") == before["timeout"] + 1
    assert value("newswatch_fetcher_polls_total", outcome="not_modified") == before["304"] + 1
    assert value("newswatch_fetcher_items_published_total") == before["items"] + 3
    slow = value("newswatch_fetcher_documents_parsed_total", reader="feedparser")
    assert slow == before["slow"] + 1
    assert value("newswatch_fetcher_documents_malformed_total") == before["malformed"] + 1


def test_a_delivery_count_gives_channel_and_outcome():
    labels = {"channel": "slack", "outcome": "retrying"}
    before = value("newswatch_alerter_deliveries_total", **labels)
    Counters(ALERTER_ROUTES).inc("delivery_retrying.slack")
    assert value("newswatch_alerter_deliveries_total", **labels) == before + 1


def test_lag_is_end_minus_committed_and_counts_from_the_start_when_nothing_is_committed():
    ends = {"p0": 10, "p1": 7, "p2": 5}
    assert lag(ends, {"p0": 4, "p1": None, "p2": 6}, {"p1": 2}) == {"p0": 6, "p1": 5, "p2": 0}


def test_a_consumer_is_stalled_only_with_records_waiting_and_no_progress():
    now = [0.0]
    progress = Progress(lambda: now[0], limit=60)
    assert progress.problem() == "lag not measured yet"
    progress.observe(lag_total=0, position_total=100)
    now[0] = 500  # idle for long: fine
    progress.observe(lag_total=0, position_total=100)
    assert progress.problem() is None
    progress.observe(lag_total=5, position_total=100)
    now[0] = 550
    progress.observe(lag_total=5, position_total=100)
    assert progress.problem() is None  # 50 s: within the limit
    now[0] = 561
    progress.observe(lag_total=5, position_total=100)
    assert progress.problem() == "5 record(s) waiting and no progress for 61 s"
    progress.observe(lag_total=4, position_total=101)
    assert progress.problem() is None


def test_feed_gauges_count_held_active_feeds_overdue_and_dead():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    specs = {f"f{i}": FeedSpec(url=f"https://example.org/{i}.xml") for i in range(6)}
    specs["f5"] = specs["f5"].model_copy(update={"paused": True})

    def health(due_ago: float, failures: int = 0) -> FeedHealth:
        return FeedHealth(
            interval_seconds=60,
            next_poll_at=now - timedelta(seconds=due_ago),
            consecutive_failures=failures,
        )

    plan = Plan(
        feeds=specs,
        healths={
            "f0": health(-30),  # due in 30 s
            "f1": health(120),  # two minutes late
            "f2": health(120),  # late but in flight now
            "f3": health(10, failures=5),  # dead, not late
            "f4": health(600, failures=9),  # late and dead, but another instance holds it
            "f5": health(600),  # paused
        },
        running={"f2": None},  # type: ignore[dict-item]
    )
    held = {"f0", "f1", "f2", "f3", "f5"}
    assert feed_gauges(plan, held, now) == (4, 1, 1)


async def test_readyz_names_what_is_not_ready_and_metrics_shows_only_its_own_service():
    Counters(ALERTER_ROUTES).inc("digests_sent")  # another service's metric in this process
    health = Health("fetcher")
    redis_up = [False]

    async def redis() -> None:
        if not redis_up[0]:
            raise ConnectionError("Connection refused")

    probe = health.probe("redis", redis, every=0.05, fresh_for=5)
    health.check("rounds", lambda: None)
    port = free_port()
    async with health.serve(port), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        assert (await http.get("/healthz")).status_code == 200
        await probe.once()
        answer = await http.get("/readyz")
        assert (
            answer.status_code == 503
            and "redis: ConnectionError: Connection refused" in answer.text
        )
        redis_up[0] = True
        await probe.once()
        assert (await http.get("/readyz")).status_code == 200
        metrics = (await http.get("/metrics")).text
    assert "newswatch_fetcher_polls_total" in metrics
    assert "process_cpu_seconds_total" in metrics or "python_info" in metrics
    assert "newswatch_alerter_" not in metrics


async def test_a_probe_stops_when_cancelled_just_as_its_step_finishes():
    # Python 3.11's asyncio.wait_for returned the step's result when the cancellation came
    # as the step finished; the probe loop then ran on, and a service's shutdown (which
    # cancels its probes and waits for them) hung. The step itself cancels, so the
    # cancellation always lands at that moment.
    async def step() -> None:
        running.cancel()

    probe = Probe("redis", step, every=0.01, fresh_for=5)
    running = asyncio.create_task(probe.run())
    done, _ = await asyncio.wait({running}, timeout=5)
    assert done == {running} and running.cancelled()


def test_a_probe_success_that_is_too_old_is_not_ready():
    now = [0.0]
    health = Health("x")
    probe = health.probe("kafka", lambda: None, every=5, fresh_for=15)  # type: ignore[arg-type, return-value]
    probe._clock = lambda: now[0]
    probe.last_ok, probe.error = 0.0, "timeout"
    now[0] = 16
    assert health.problems() == ["kafka: last good 16 s ago (timeout)"]


def test_api_requests_are_counted_by_route_template_and_status():
    app = FastAPI()
    api_metrics.install(app)

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    def count(route: str, status: str) -> float:
        return value("newswatch_api_requests_total", method="GET", route=route, status=status)

    before = count("/v1/things/{thing_id}", "200"), count("(unmatched)", "404")
    with TestClient(app) as client:
        assert client.get("/v1/things/a").status_code == 200
        assert client.get("/v1/things/b").status_code == 200
        assert client.get("/wp-admin.php").status_code == 404
        exposed = client.get("/metrics").text
    assert count("/v1/things/{thing_id}", "200") == before[0] + 2
    assert count("(unmatched)", "404") == before[1] + 1
    assert 'route="/v1/things/{thing_id}"' in exposed


@pytest.mark.parametrize("outcome", ["delivered", "failed"])
def test_every_delivery_outcome_has_a_route(outcome):
    before = value("newswatch_alerter_deliveries_total", channel="email", outcome=outcome)
    Counters(ALERTER_ROUTES).inc(f"delivery_{outcome}.email")
    after = value("newswatch_alerter_deliveries_total", channel="email", outcome=outcome)
    assert after == before + 1
