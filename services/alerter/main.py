"""`newswatch alerter`: runs the alerter built by the composition root (``bootstrap``)."""

import logging

from newswatch.alerter.bootstrap import alerter_topics, running_alerter
from newswatch.alerter.metrics import readiness
from newswatch.alerter.settings import AlerterSettings
from newswatch.shared.health import Health
from newswatch.shared.lifecycle import run_service

log = logging.getLogger("newswatch.alerter")

__all__ = ["alerter_topics", "main", "run"]


async def run(settings: AlerterSettings) -> None:
    async with running_alerter(settings) as alerter:
        log.info(
            "alerter: consuming %s as group %s",
            settings.topics.classified,
            settings.consumer_group,
        )
        health = Health("alerter")
        readiness(health, alerter.stores, alerter.consumer)
        try:
            async with health.serve(settings.health_port):
                await alerter.run()
        finally:
            log.info("alerter counters: %s", alerter.counters.summary())


def main(settings: AlerterSettings | None = None) -> None:
    run_service(run(settings or AlerterSettings()))
