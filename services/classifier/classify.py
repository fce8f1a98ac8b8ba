"""The classifier's public face: text or a NewsItem in, tags, evidence and facts out."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from newswatch import __version__
from newswatch.classifier.combine import combine
from newswatch.classifier.engine import Plan, evaluate
from newswatch.classifier.facts import FactExtractor
from newswatch.classifier.features import lead_text
from newswatch.classifier.gazetteer import Gazetteer
from newswatch.classifier.language import SAMPLE_CHARS, SUPPORTED, detect_lowered
from newswatch.classifier.model import TagModel, load_model
from newswatch.classifier.rules import Ruleset, TagDefinition, load_default_tags, load_tag_dir
from newswatch.classifier.text import Lowered
from newswatch.shared.contracts import ClassifiedItem, Facts, NewsItem, TagHit

LANGUAGE_SAMPLE = 400  # the title and this much of the summary say which language it is

OTHER_LANGUAGE_MARGIN = 0.0


@dataclass(frozen=True, slots=True)
class Classification:
    tags: list[TagHit]
    facts: Facts
    language: str | None  # as given, else detected; None when unsure


class Classifier:
    def __init__(
        self,
        definitions: Sequence[TagDefinition],
        gazetteer: Gazetteer | None = None,
        model: TagModel | None = None,
    ) -> None:
        self.definitions = list(definitions)
        self._ruleset = Ruleset(tuple(self.definitions))
        self._plan = Plan(self._ruleset)  # the rules made ready to evaluate, once
        self._by_tag = {d.tag: d for d in self.definitions}
        self._facts = FactExtractor(gazetteer or Gazetteer.load_default())
        self.model = model
        # The version names the rules and the model, so a consumer can tell which tagging it got.
        fingerprint = hashlib.sha256(_canonical(self.definitions).encode()).hexdigest()[:8]
        self.version = f"rules-{__version__}+{fingerprint}"
        if model is not None:
            self.version += f"+model-{model.version}"

    @classmethod
    def default(cls) -> "Classifier":
        """The built-in tags and the model trained for them."""
        return cls.from_folder(None)

    @classmethod
    def from_folder(cls, tags_dir: Path | None, *, with_model: bool = True) -> "Classifier":
        """The tags of a folder (the built-in one when None) and the model beside them, if any."""
        if tags_dir is None:
            definitions = load_default_tags()
            folder = Path(str(resources.files("newswatch.classifier") / "tags"))
        else:
            definitions, folder = load_tag_dir(tags_dir), tags_dir
        return cls(definitions, model=load_model(folder) if with_model else None)

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
        lowered = Lowered(title, summary)  # lower-cased once for every reader below
        if not language:
            sample = f"{lowered.title}\n{lowered.head(LANGUAGE_SAMPLE)}"[:SAMPLE_CHARS]
            language = detect_lowered(sample)
        hits = evaluate(self._plan, title, summary, language, lowered)
        if self.model is not None:
            # Outside the six languages the model has few examples: it must be surer there.
            stricter = 0.0 if language in SUPPORTED or language is None else OTHER_LANGUAGE_MARGIN

            def vetoed(tag: str) -> bool:
                return self._by_tag[tag].vetoed(lead_text(title, summary), language)

            hits = combine(self.tags, hits, self.model, title, summary, stricter, lowered, vetoed)
        evidence = [e for hit in hits for e in hit.evidence]
        # Facts serve the alerts: an item no tag fires on carries none (most of the cost saved).
        facts = self._facts.extract(title, summary, evidence, published) if hits else Facts()
        return Classification(hits, facts, language)

    def classify_item(self, item: NewsItem) -> ClassifiedItem:
        result = self.classify(item.title, item.summary, item.language, item.published_at.date())
        if item.language is None and result.language is not None:
            item = item.model_copy(update={"language": result.language})  # recorded as detected
        return ClassifiedItem(
            item=item, tags=result.tags, facts=result.facts, classifier_version=self.version
        )


def _canonical(definitions: Sequence[TagDefinition]) -> str:
    """The tag definitions as text that is the same in every process: ``repr`` is not (its
    frozensets follow string hashing, which Python seeds anew per process)."""
    return json.dumps(
        [
            {
                "tag": d.tag,
                "threshold": d.threshold,
                "rules": [
                    [
                        r.id,
                        r.weight,
                        r.pattern.pattern,
                        r.context and r.context.pattern,
                        sorted(r.languages),
                    ]
                    for r in d.rules
                ],
                "vetoes": [
                    [v.id, v.pattern.pattern, v.near, sorted(v.languages)] for v in d.vetoes
                ],
            }
            for d in definitions
        ],
        sort_keys=True,
    )
