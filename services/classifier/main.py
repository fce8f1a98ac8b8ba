"""Composition root: validates the tag files, ensures topics, runs the faust worker."""

import asyncio
import logging
import sys

from faust.worker import Worker

from newswatch.classifier.app import create_app
from newswatch.classifier.classify import Classifier
from newswatch.classifier.settings import ClassifierSettings
from newswatch.shared.kafka import ensure_topics

log = logging.getLogger("newswatch.classifier")


def load_classifier(settings: ClassifierSettings) -> Classifier:
    # The tags and, when the folder has one, the model trained for them: as `newswatch classify`.
    return Classifier.from_folder(settings.tags_dir)


def main(settings: ClassifierSettings | None = None) -> None:
    settings = settings or ClassifierSettings()
    classifier = load_classifier(settings)  # a broken tag file stops us here, named
    log.info("classifier %s: tags %s", classifier.version, ", ".join(classifier.tags))
    asyncio.run(ensure_topics(settings, settings.topics.pipeline(classifier.tags)))
    app = create_app(settings, classifier)
    # Logging stays as configure_logging set it (format, and the filter that collapses
    # aiokafka's repeats during a Kafka outage); faust would replace the root handlers.
    worker = Worker(
        app,
        loglevel=settings.log_level.lower(),
        quiet=True,
        redirect_stdouts=False,
        override_logging=False,
    )
    if not sys.stdout.isatty():
        # Its cursor escape codes would begin a log line (and break JSON logs); no terminal.
        worker.spinner = None
    worker.execute_from_commandline()
