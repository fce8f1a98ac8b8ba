"""The classifier's Prometheus metrics and readiness (docs/operations/monitoring.md lists them)."""

import asyncio
import time
from typing import Any, cast

import faust
from prometheus_client import Counter, Histogram

from newswatch.classifier.classify import Classifier
from newswatch.classifier.settings import ClassifierSettings
from newswatch.shared.contracts import ClassifiedItem, NewsItem
from newswatch.shared.health import Health
from newswatch.shared.metrics import (
    STALL_SECONDS,
    CounterRoutes,
    Progress,
    lag,
    lag_gauge,
    show_lag,
)

CLASSIFIED = Counter(
    "newswatch_classifier_classified_total", "Items classified and published (tagged or not)."
)
ITEMS = Counter("newswatch_classifier_items_total", "Classified items carrying each tag.", ["tag"])
DEAD_LETTERED = Counter(
    "newswatch_classifier_dead_lettered_total",
    "Records sent to the items dead-letter topic, by kind (invalid_item, publish_failed, ...).",
    ["kind"],
)
SEND_FAILURES = Counter(
    "newswatch_classifier_send_failures_total", "Failed sends to Kafka (each is retried)."
)
SECONDS = Histogram(
    "newswatch_classifier_classification_seconds",
    "Classifying one item (rules and model), CPU time in the stream.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
LAG = lag_gauge("classifier", "Items")

ROUTES = CounterRoutes(
    {
        "classified": [(CLASSIFIED, {}, None)],
        "tagged.": [(ITEMS, {}, "tag")],
        "dead_lettered.": [(DEAD_LETTERED, {}, "kind")],
        "send_failed": [(SEND_FAILURES, {}, None)],
    }
)


class TimedClassifier:
    """The classifier, each ``classify_item`` call timed into SECONDS; all else passes through."""

    def __init__(self, classifier: Classifier) -> None:
        self._classifier = classifier

    def classify_item(self, item: NewsItem) -> ClassifiedItem:
        started = time.perf_counter()
        try:
            return self._classifier.classify_item(item)
        finally:
            SECONDS.observe(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._classifier, name)


def timed(classifier: Classifier) -> Classifier:
    return cast(Classifier, TimedClassifier(classifier))


def install(app: faust.App, settings: ClassifierSettings) -> None:
    """Serve /healthz, /readyz and /metrics from the worker's loop; measure the lag."""
    health = Health("classifier")
    progress = Progress(time.monotonic, STALL_SECONDS)
    items = settings.topics.items

    async def consumer_lag() -> None:
        consumer = app.consumer
        tps = sorted(tp for tp in consumer.assignment() if tp.topic == items)
        if not tps:
            raise LookupError("no partition of the items topic assigned")
        ends = await consumer.highwaters(*tps)
        # faust keeps the last committed offset per partition (None before any commit).
        offsets = consumer._committed_offset  # type: ignore[attr-defined]  # faust's own, untyped
        committed = {tp: offsets.get(tp) for tp in tps}
        show_lag(LAG, progress, lag(ends, committed), committed)

    health.probe("kafka consumer", consumer_lag, every=5.0, fresh_for=30.0)
    health.check("progress", progress.problem)

    @app.task
    async def serve_health() -> None:
        async with health.serve(settings.health_port):
            await asyncio.Event().wait()  # until the worker stops (cancelled)
