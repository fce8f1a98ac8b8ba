"""Every Kafka topic name newswatch uses, derived in one place.

Names carry the contract's major version, so a breaking change ships on new
topics while old consumers keep reading the old ones::

    {prefix}.items.v1                  NewsItem          fetcher -> classifier
    {prefix}.classified.v1             ClassifiedItem    classifier -> alerter, others
    {prefix}.classified.{tag}.v1       ClassifiedItem    one topic per tag
    {prefix}.stories.v1                Story             alerter: reports grouped into stories
    {prefix}.deliveries.v1             Delivery          alerter -> audit, others
    {prefix}.feedback.v1               Feedback          officers' feedback (api, cli) -> training
    {prefix}.deadletter.{stage}.v1     DeadLetter        messages a stage could not process
"""

import re
from dataclasses import dataclass

from newswatch.shared.contracts.base import SCHEMA_MAJOR

TAG_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str = "newswatch"

    def _name(self, *parts: str) -> str:
        return ".".join((self.prefix, *parts, f"v{SCHEMA_MAJOR}"))

    @property
    def items(self) -> str:
        return self._name("items")

    @property
    def classified(self) -> str:
        return self._name("classified")

    @property
    def stories(self) -> str:
        return self._name("stories")

    @property
    def deliveries(self) -> str:
        return self._name("deliveries")

    @property
    def feedback(self) -> str:
        return self._name("feedback")

    def tag(self, tag: str) -> str:
        if not TAG_NAME.match(tag):
            raise ValueError(f"tag name {tag!r} must match {TAG_NAME.pattern}")
        return self._name("classified", tag)

    def dead_letter(self, stage: str) -> str:
        return self._name("deadletter", stage)

    def pipeline(self, tags: list[str]) -> list[str]:
        """All topics the pipeline needs for this set of tags."""
        return [
            self.items,
            self.classified,
            self.stories,
            self.deliveries,
            self.feedback,
            *(self.tag(t) for t in tags),
            *(self.dead_letter(stage) for stage in ("items", "classified", "deliveries")),
        ]
