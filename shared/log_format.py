"""JSON log lines (``NEWSWATCH_LOG_FORMAT=json``): the same fields from every service and
every library logging through Python's logging (faust, aiokafka, uvicorn).

Each line is one object: ``ts`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``,
``service``, ``message``, and ``item_id`` / ``story_id`` when the line is about an item or a
story (given with ``extra=`` or set for a block with :func:`log_ids`), ``exc`` with the
traceback when there is one.
"""

import contextlib
import contextvars
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

ID_FIELDS = ("item_id", "story_id")
_IDS: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("newswatch_log_ids")


@contextlib.contextmanager
def log_ids(**ids: str | None) -> Iterator[None]:
    """Lines logged in this block (this task and the tasks it starts) carry these ids."""
    token = _IDS.set({**_IDS.get({}), **{k: v for k, v in ids.items() if v}})
    try:
        yield
    finally:
        _IDS.reset(token)


class LogContext(logging.Filter):
    """Copies the ids of the current :func:`log_ids` block onto records that lack them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _IDS.get({}).items():
            if not getattr(record, key, None):
                setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "service": self.service,
            "message": record.getMessage(),
        }
        for key in ID_FIELDS:
            value = getattr(record, key, None)
            if value:
                line[key] = str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)
