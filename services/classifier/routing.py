"""What the classifier does with one raw message: pure, so it is tested without Kafka.

A message becomes a ClassifiedItem routed to the combined topic and to each tag's
topic, or, when it cannot be read, a DeadLetter: nothing is dropped silently.
"""

from dataclasses import dataclass, field

from pydantic import ValidationError

from newswatch.classifier.classify import Classifier
from newswatch.shared.contracts import DeadLetter, NewsItem
from newswatch.shared.dead_letters import build_dead_letter
from newswatch.shared.topics import Topics


@dataclass(frozen=True, slots=True)
class Outgoing:
    topic: str
    key: bytes | None
    value: bytes


@dataclass(slots=True)
class Routed:
    outgoing: list[Outgoing] = field(default_factory=list)
    dead_letter: DeadLetter | None = None
    tags: list[str] = field(default_factory=list)


def route_item(
    raw: bytes | None,
    classifier: Classifier,
    topics: Topics,
    *,
    source_topic: str,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | None = None,
) -> Routed:
    payload = raw or b""

    def dead(kind: str, error: str, item_id: str | None = None) -> Routed:
        letter = build_dead_letter(
            service="classifier",
            error_kind=kind,
            error=error,
            payload=raw,
            source_topic=source_topic,
            partition=partition,
            offset=offset,
            key=item_id if item_id is not None else key,
        )
        return Routed(dead_letter=letter)

    try:
        item = NewsItem.model_validate_json(payload)
    except ValidationError as exc:
        invalid_json = any(e["type"] == "json_invalid" for e in exc.errors())
        return dead("invalid_json" if invalid_json else "invalid_item", _short(exc))
    try:
        classified = classifier.classify_item(item)
    except Exception as exc:  # a rule or extractor bug must not stop the stream: keep the item
        return dead("classifier_error", f"{type(exc).__name__}: {exc}", item_id=item.id)
    value = classified.to_json_bytes()
    key = item.id.encode()
    outgoing = [Outgoing(topics.classified, key, value)]
    outgoing += [Outgoing(topics.tag(t), key, value) for t in classified.tag_names]
    return Routed(outgoing=outgoing, tags=classified.tag_names)


def _short(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(map(str, first["loc"])) or "message"
    more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
