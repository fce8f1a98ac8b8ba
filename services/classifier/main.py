"""Composition root: validates the tag files, ensures topics, runs the faust worker."""

import asyncio
import gc
import logging
import os
import signal
import sys
import threading
from typing import Any

from faust.worker import Worker

from newswatch.classifier.app import create_app
from newswatch.classifier.classify import Classifier
from newswatch.classifier.settings import ClassifierSettings
from newswatch.shared.kafka import ensure_topics

log = logging.getLogger("newswatch.classifier")


def load_classifier(settings: ClassifierSettings) -> Classifier:
    # The tags and, when the folder has one, the model trained for them: as `newswatch classify`.
    return Classifier.from_folder(settings.tags_dir)


class BoundedShutdownWorker(Worker):
    """faust's worker, whose shutdown on a signal has a deadline: past it the process exits
    as a kill would (at least once: what was not confirmed is classified again). It hooks
    mode's ``Worker._schedule_shutdown``, which both signals go through;
    tests/integration/test_classifier_kafka_outage.py fails if that hook stops being called."""

    def __init__(self, *args: Any, shutdown_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shutdown_seconds = shutdown_seconds
        self._deadline: threading.Timer | None = None

    def _schedule_shutdown(self, signum: signal.Signals) -> None:
        if self._deadline is None:  # a thread: the event loop may be what is stuck
            self._deadline = threading.Timer(self._shutdown_seconds, self._give_up)
            self._deadline.daemon = True
            self._deadline.start()
        super()._schedule_shutdown(signum)

    def _give_up(self) -> None:
        log.error(
            "shutdown not done after %.0f s (is Kafka reachable?): exiting; records not "
            "confirmed will be classified again by the next worker",
            self._shutdown_seconds,
        )
        logging.shutdown()
        os._exit(1)


def main(settings: ClassifierSettings | None = None) -> None:
    settings = settings or ClassifierSettings()
    classifier = load_classifier(settings)  # a broken tag file stops us here, named
    log.info("classifier %s: tags %s", classifier.version, ", ".join(classifier.tags))
    asyncio.run(ensure_topics(settings, settings.topics.pipeline(classifier.tags)))
    app = create_app(settings, classifier)
    # The tag rules, the model's tables and faust's app live as long as the process: kept out
    # of the cyclic collector's sight, its full collections stop walking them each time
    # (CPU per item about 5 % lower in paired runs of the stream benchmark).
    gc.collect()
    gc.freeze()
    # Logging stays as configure_logging set it (format, and the filter that collapses
    # aiokafka's repeats during a Kafka outage); faust would replace the root handlers.
    worker = BoundedShutdownWorker(
        app,
        shutdown_seconds=settings.shutdown_seconds,
        loglevel=settings.log_level.lower(),
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,
    )
    if not sys.stdout.isatty():
        # Its cursor escape codes would begin a log line (and break JSON logs); no terminal.
        worker.spinner = None
    worker.execute_from_commandline()
