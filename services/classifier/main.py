"""Composition root: validates the tag files, ensures topics, runs the faust worker."""

import asyncio
import logging

from faust.worker import Worker

from newswatch.classifier.app import create_app
from newswatch.classifier.classify import Classifier
from newswatch.classifier.rules import load_default_tags, load_tag_dir
from newswatch.classifier.settings import ClassifierSettings
from newswatch.shared.kafka import ensure_topics

log = logging.getLogger("newswatch.classifier")


def load_classifier(settings: ClassifierSettings) -> Classifier:
    definitions = load_tag_dir(settings.tags_dir) if settings.tags_dir else load_default_tags()
    return Classifier(definitions)


def main(settings: ClassifierSettings | None = None) -> None:
    settings = settings or ClassifierSettings()
    classifier = load_classifier(settings)  # a broken tag file stops us here, named
    log.info("classifier %s: tags %s", classifier.version, ", ".join(classifier.tags))
    asyncio.run(ensure_topics(settings, settings.topics.pipeline(classifier.tags)))
    app = create_app(settings, classifier)
    worker = Worker(app, loglevel=settings.log_level.lower(), quiet=True, redirect_stdouts=False)
    worker.execute_from_commandline()
