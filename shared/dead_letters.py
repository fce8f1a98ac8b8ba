"""The one way to build a DeadLetter: small enough to send whatever the failed message was.

A dead letter must itself be deliverable, or the failure it reports is lost with it. Kafka
refuses messages over 1 MB by default, and JSON escaping can grow text six-fold (a control
character becomes ``\\u0001``), so the payload is cut by its *serialised* size, and the
original's size and SHA-256 say what was cut.
"""

import codecs
import hashlib

from pydantic_core import to_json

from newswatch.shared.contracts import DeadLetter

DEFAULT_PAYLOAD_BYTES = 64_000
# Whatever a caller asks for, the payload never takes more than this once serialised:
# with the capped error and key below, a dead letter stays far below Kafka's 1 MB default.
MAX_PAYLOAD_BYTES = 512_000
MAX_ERROR_CHARS = 2_000
MAX_KEY_CHARS = 500
MAX_KIND_CHARS = 100
ELLIPSIS = "…"


def build_dead_letter(
    *,
    service: str,
    error_kind: str,
    error: str,
    payload: bytes | None,
    source_topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | str | None = None,
    max_payload_bytes: int = DEFAULT_PAYLOAD_BYTES,
) -> DeadLetter:
    """A DeadLetter for ``payload`` whose ``payload`` text serialises to at most
    ``max_payload_bytes`` (capped at MAX_PAYLOAD_BYTES) bytes of JSON."""
    raw = payload or b""
    budget = max(0, min(max_payload_bytes, MAX_PAYLOAD_BYTES))
    text, truncated = json_prefix(raw, budget)
    return DeadLetter(
        service=_clip(service, MAX_KIND_CHARS),
        source_topic=source_topic,
        partition=partition,
        offset=offset,
        key=None if key is None else _clip(_text(key), MAX_KEY_CHARS),
        error_kind=_clip(error_kind, MAX_KIND_CHARS),
        error=_clip(_text(error), MAX_ERROR_CHARS),
        payload=text,
        payload_bytes=len(raw),
        payload_sha256=hashlib.sha256(raw).hexdigest(),
        payload_truncated=truncated,
    )


def json_prefix(raw: bytes, budget: int) -> tuple[str, bool]:
    """The longest prefix of ``raw`` (decoded as UTF-8 with replacement) whose JSON string
    form, quotes excluded, takes at most ``budget`` bytes; and whether it was cut."""
    # Every byte becomes at least one serialised byte, so no more than ``budget`` raw bytes
    # can fit; the incremental decoder holds back a multi-byte character cut in half.
    head = raw[:budget]
    final = len(raw) <= budget
    text = codecs.getincrementaldecoder("utf-8")("replace").decode(head, final=final)
    if _json_size(text) <= budget:
        return text, not final
    low, high = 0, len(text)  # fits at low, not at high
    while high - low > 1:
        middle = (low + high) // 2
        if _json_size(text[:middle]) <= budget:
            low = middle
        else:
            high = middle
    return text[:low], True


def _json_size(text: str) -> int:
    return len(to_json(text)) - 2  # the two quotes


def _text(key: bytes | str) -> str:
    if isinstance(key, bytes):
        return key.decode("utf-8", "replace")
    return key.encode("utf-8", "replace").decode("utf-8")  # lone surrogates cannot be sent


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS
