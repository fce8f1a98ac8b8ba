"""The alert rules, the Grafana dashboard and the monitoring page name only metrics we export,
and the rules pass Prometheus' own checker (promtool, from Debian's prometheus package)."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import newswatch.alerter.metrics
import newswatch.alerter.web.metrics
import newswatch.classifier.metrics
import newswatch.fetcher.metrics  # noqa: F401  (each registers its metrics on import)
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "rules_test.yml"  # promtool's unit tests
DASHBOARD = ROOT / "deploy" / "grafana" / "newswatch.json"
MONITORING = ROOT / "docs" / "operations" / "monitoring.md"
NAME = re.compile(r"\bnewswatch_[a-z_]+")
SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"], "gauge": [""]}


def exported() -> set[str]:
    """Every series name our metrics can produce (labelled ones have no sample until used)."""
    names = set()
    for family in REGISTRY.collect():
        if family.name.startswith("newswatch_"):
            names.update(family.name + s for s in SUFFIXES[family.type])
    return names


def rule_exprs() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_every_service_exports_the_metrics_the_brief_names():
    assert {
        "newswatch_fetcher_polls_total",
        "newswatch_fetcher_poll_errors_total",
        "newswatch_fetcher_items_published_total",
        "newswatch_fetcher_poll_duration_seconds_bucket",
        "newswatch_fetcher_feeds_overdue",
        "newswatch_classifier_items_total",
        "newswatch_classifier_dead_lettered_total",
        "newswatch_classifier_classification_seconds_bucket",
        "newswatch_classifier_consumer_lag",
        "newswatch_alerter_deliveries_total",
        "newswatch_alerter_retry_queue_depth",
        "newswatch_alerter_digests_pending",
        "newswatch_alerter_delivery_latency_seconds_bucket",
        "newswatch_alerter_consumer_lag",
        "newswatch_api_requests_total",
        "newswatch_api_request_duration_seconds_bucket",
    } <= exported()


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_expression_names_metrics_we_export(source):
    exprs = rule_exprs() if source == "rules" else dashboard_exprs()
    assert exprs
    unknown = {name for expr in exprs for name in NAME.findall(expr)} - exported()
    assert unknown == set()


def test_the_dashboard_shows_each_service():
    text = " ".join(dashboard_exprs())
    for service in ("fetcher", "classifier", "alerter", "api"):
        assert f"newswatch_{service}_" in text


def test_the_rules_cover_what_an_operator_must_hear_of():
    names = {r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]}
    assert {
        "NewswatchFeedDead",
        "NewswatchClassifierDeadLetters",
        "NewswatchClassifierLagHigh",
        "NewswatchAlerterLagHigh",
        "NewswatchRetryQueueGrowing",
        "NewswatchDeliveryFailures",
    } <= names


def test_the_monitoring_page_documents_every_metric():
    page = MONITORING.read_text()
    documented = set(NAME.findall(page))
    # A histogram is documented by its name; its _bucket, _count and _sum come with it.
    series = {n.removesuffix("_bucket") for n in exported() if not n.endswith(("_count", "_sum"))}
    assert series - documented == set()


def test_promtool_accepts_the_rules_and_their_tests():
    promtool = shutil.which("promtool")
    if promtool is None:
        unavailable("promtool is missing: deploy/local/prometheus.sh install (make infra)")
    for command in (["check", "rules", str(RULES)], ["test", "rules", str(RULE_TESTS)]):
        done = subprocess.run([promtool, *command], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
