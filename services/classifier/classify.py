"""The classifier's public face: text or a NewsItem in, tags, evidence and facts out."""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from newswatch import __version__
from newswatch.classifier.engine import evaluate
from newswatch.classifier.facts import FactExtractor
from newswatch.classifier.gazetteer import Gazetteer
from newswatch.classifier.language import detect_language
from newswatch.classifier.rules import Ruleset, TagDefinition, load_default_tags
from newswatch.shared.contracts import ClassifiedItem, Facts, NewsItem, TagHit


@dataclass(frozen=True, slots=True)
class Classification:
    tags: list[TagHit]
    facts: Facts
    language: str | None  # as given, else detected; None when unsure


class Classifier:
    def __init__(
        self, definitions: Sequence[TagDefinition], gazetteer: Gazetteer | None = None
    ) -> None:
        self.definitions = list(definitions)
        self._ruleset = Ruleset(tuple(self.definitions))
        self._facts = FactExtractor(gazetteer or Gazetteer.load_default())
        # The version names the rules too, so a consumer can tell which tagging it got.
        fingerprint = hashlib.sha256(repr(self.definitions).encode()).hexdigest()[:8]
        self.version = f"rules-{__version__}+{fingerprint}"

    @classmethod
    def default(cls) -> "Classifier":
        return cls(load_default_tags())

    @property
    def tags(self) -> list[str]:
        return [d.tag for d in self.definitions]

    def classify(
        self,
        title: str,
        summary: str = "",
        language: str | None = None,
        published: date | None = None,
    ) -> Classification:
        language = language or detect_language(f"{title}\n{summary}")
        hits = evaluate(self._ruleset, title, summary, language)
        evidence = [e for hit in hits for e in hit.evidence]
        facts = self._facts.extract(title, summary, evidence, published)
        return Classification(hits, facts, language)

    def classify_item(self, item: NewsItem) -> ClassifiedItem:
        result = self.classify(item.title, item.summary, item.language, item.published_at.date())
        if item.language is None and result.language is not None:
            item = item.model_copy(update={"language": result.language})  # recorded as detected
        return ClassifiedItem(
            item=item, tags=result.tags, facts=result.facts, classifier_version=self.version
        )
