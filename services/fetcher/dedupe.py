"""Which of a feed's items are new or corrected: pure, given what was published before."""

from dataclasses import dataclass

from newswatch.shared.contracts import NewsItem


@dataclass(frozen=True, slots=True)
class Published:
    """What the fetcher remembers of an item it published."""

    revision: int
    content_hash: str

    def encode(self) -> bytes:
        return f"{self.revision}:{self.content_hash}".encode()

    @classmethod
    def decode(cls, raw: bytes) -> "Published":
        revision, _, digest = raw.decode().partition(":")
        return cls(int(revision), digest)


def select_changes(items: list[NewsItem], known: dict[str, Published]) -> list[NewsItem]:
    """New items as revision 1; corrected ones again with the next revision; the rest dropped."""
    changes = []
    for item in items:
        before = known.get(item.id)
        if before is None:
            changes.append(item)
        elif before.content_hash != item.content_hash:
            changes.append(item.model_copy(update={"revision": before.revision + 1}))
    return changes
