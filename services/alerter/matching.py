"""Which subscriptions want a classified item: pure, indexed by tag."""

from collections import defaultdict
from collections.abc import Iterable

from newswatch.shared.contracts import ClassifiedItem, Subscription, TagHit


class SubscriptionIndex:
    """Subscriptions grouped by tag, so an item is checked only against those that name its tags."""

    def __init__(self, subscriptions: Iterable[Subscription] = ()) -> None:
        self._by_tag: dict[str, list[Subscription]] = defaultdict(list)
        self.size = 0
        for sub in subscriptions:
            if sub.enabled:
                self.size += 1
                for tag in set(sub.tags):
                    self._by_tag[tag].append(sub)

    def match(self, item: ClassifiedItem) -> list[tuple[Subscription, list[TagHit]]]:
        matched: dict[str, tuple[Subscription, list[TagHit]]] = {}
        for hit in item.tags:
            for sub in self._by_tag.get(hit.tag, ()):
                if hit.confidence >= sub.min_confidence:
                    matched.setdefault(sub.id, (sub, []))[1].append(hit)
        return list(matched.values())
