"""`newswatch classify` is a fixed contract: JSON lines in, one JSON line per input out, in order."""

import io
import json
import subprocess
import sys

from newswatch.classifier import batch
from newswatch.classifier.classify import Classifier


def run(lines: list[str]) -> list[dict]:
    out = io.StringIO()
    assert batch.run(Classifier.default(), io.StringIO("\n".join(lines) + "\n"), out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_answers_each_line_in_order_with_id_tags_and_evidence():
    answers = run(
        [
            json.dumps({"id": "a", "title": "Air strike kills 4 in Idlib", "summary": ""}),
            json.dumps(
                {
                    "id": 2,
                    "title": "Bakery opens",
                    "summary": "<p>Fresh bread &amp; cake</p>",
                    "lang": "en",
                }
            ),
        ]
    )
    assert [a["id"] for a in answers] == ["a", 2]
    assert (
        answers[0]["tags"] == ["strike"]
        and answers[0]["evidence"]["strike"][0]["text"] == "Air strike"
    )
    assert answers[0]["facts"]["casualties"][0]["count"] == 4
    assert answers[1]["tags"] == [] and answers[1]["lang"] == "en"


def test_a_bad_line_gets_an_error_answer_and_the_rest_go_on():
    answers = run(["{oops", "[1, 2]", json.dumps({"id": "ok", "title": "Shelling hits Kherson"})])
    assert [a["tags"] for a in answers] == [[], [], ["strike"]]
    assert "line 1" in answers[0]["error"] and "line 2" in answers[1]["error"]


def test_ten_thousand_lines_through_the_real_command_without_kafka_or_redis():
    lines = "".join(
        json.dumps(
            {
                "id": n,
                "title": f"Drone strike hits depot {n}" if n % 2 else f"Market report {n}",
                "summary": "Officials gave no further details.",
            }
        )
        + "\n"
        for n in range(10_000)
    )
    done = subprocess.run(
        [sys.executable, "-m", "newswatch.cli", "classify"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": "/usr/bin:/bin",
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
            "REDIS_URL": "redis://127.0.0.1:9",
        },
    )
    assert done.returncode == 0, done.stderr
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["id"] for a in answers] == list(range(10_000))
    assert all((a["tags"] == ["strike"]) == (a["id"] % 2 == 1) for a in answers)
