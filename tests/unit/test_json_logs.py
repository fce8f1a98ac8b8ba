"""NEWSWATCH_LOG_FORMAT=json: one JSON object per line with the same fields from every logger.

(The integration test ``test_prometheus_scrape`` runs the four services with JSON logs and
parses every line they write, faust's, aiokafka's and uvicorn's included.)
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newswatch.shared.log_format import JsonFormatter, LogContext, log_ids

ROOT = Path(__file__).resolve().parents[2]


def format_one(record_args: dict, **extra: str) -> dict:
    import logging

    record = logging.LogRecord(
        record_args.get("name", "newswatch.alerter"),
        record_args.get("level", logging.WARNING),
        __file__,
        1,
        record_args.get("msg", "delivery %s failed"),
        record_args.get("args", ("d-1",)),
        None,
    )
    for key, value in extra.items():
        setattr(record, key, value)
    LogContext().filter(record)
    return json.loads(JsonFormatter("alerter").format(record))


def test_a_line_has_the_common_fields():
    line = format_one({})
    assert line == {
        "ts": line["ts"],
        "level": "WARNING",
        "logger": "newswatch.alerter",
        "service": "alerter",
        "message": "delivery d-1 failed",
    }
    assert line["ts"].endswith("+00:00") and "T" in line["ts"]


def test_ids_come_from_extra_or_from_the_block_around_the_call():
    assert format_one({}, item_id="i-1")["item_id"] == "i-1"
    with log_ids(item_id="i-2", story_id="s-9"):
        line = format_one({})
        with log_ids(story_id="s-10"):
            inner = format_one({}, item_id="i-3")  # extra= wins over the block
    assert (line["item_id"], line["story_id"]) == ("i-2", "s-9")
    assert (inner["item_id"], inner["story_id"]) == ("i-3", "s-10")
    assert "item_id" not in format_one({})  # the block is over


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_the_libraries_loggers_write_json_too(log_format):
    """Through configure_logging, as `newswatch <command>` calls it, in a fresh process."""
    script = (
        "import logging\n"
        "from newswatch.shared.observability import configure_logging\n"
        f"configure_logging('INFO', {log_format!r}, service='classifier')\n"
        "for name in ('faust.worker', 'aiokafka.consumer', 'uvicorn.error', 'newswatch.x'):\n"
        "    logging.getLogger(name).warning('hello from %s', name)\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('newswatch.x').exception('it broke')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 0, done.stderr
    if log_format == "text":
        assert lines[0].endswith("WARNING faust.worker: hello from faust.worker")
        return
    records = [json.loads(line) for line in lines]  # every line, the traceback inside one
    assert [r["logger"] for r in records] == [
        "faust.worker",
        "aiokafka.consumer",
        "uvicorn.error",
        "newswatch.x",
        "newswatch.x",
    ]
    assert {r["service"] for r in records} == {"classifier"}
    assert "ZeroDivisionError" in records[-1]["exc"]
