"""What a newcomer met in the first hour (issue 12, item 6): flags an action does not take are
refused, feed lists are told apart by content, silent successes say what they did, a paused
feed says so, and a server that is down is one clear line, not a traceback."""

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest

from newswatch.cli import main
from newswatch.fetcher.cli import parse_feed_file, status_table
from newswatch.fetcher.feeds import FeedSpec

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline text="Example" title="Example" type="rss" xmlUrl="https://example.org/rss.xml"/>
</body></opml>"""
YAML = b"feeds:\n  - url: https://example.net/feed.json\n    name: Net\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["feeds", "list", "--name", "x"],
        ["feeds", "status", "--interval", "5"],
        ["feeds", "pause", "some-feed", "--language", "en"],
        ["subscriptions", "list", "--tags", "strike"],
        ["subscriptions", "remove", "desk", "--channel", "console"],
        ["keys", "revoke", "abc", "--team", "x"],
        ["keys", "create"],  # --team is required
    ],
)
def test_an_action_refuses_a_flag_it_does_not_take(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_each_action_lists_only_its_own_flags(capsys):
    with pytest.raises(SystemExit):
        main(["feeds", "add", "--help"])
    add_help = capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["feeds", "list", "--help"])
    list_help = capsys.readouterr().out
    assert "--interval" in add_help and "--name" in add_help
    assert "--interval" not in list_help and "--name" not in list_help


def test_a_feed_list_is_read_by_its_content_not_its_name():
    opml = parse_feed_file(OPML, "subscriptions.html")
    yaml = parse_feed_file(YAML, "feeds.opml")
    assert [(s.url, s.name) for s in opml] == [("https://example.org/rss.xml", "Example")]
    assert [(s.url, s.name) for s in yaml] == [("https://example.net/feed.json", "Net")]
    assert parse_feed_file(b"\xef\xbb\xbf\n  " + OPML, "x.txt")[0].name == "Example"


def test_a_paused_feed_never_polled_shows_paused_not_soon():
    paused = FeedSpec(url="https://example.org/rss.xml", paused=True)
    fresh = FeedSpec(url="https://example.net/rss.xml")
    lines = status_table([paused, fresh], {}, datetime(2026, 1, 1, tzinfo=UTC)).splitlines()
    assert lines[1].split()[1:] == ["paused", "-", "-", "0", "-", "paused"]
    assert lines[2].split()[1:] == ["new", "-", "-", "0", "-", "soon"]


def test_schemas_check_says_what_it_checked(capsys):
    assert main(["schemas", "check"]) == 0
    out = capsys.readouterr().out
    assert "schemas match the models" in out and "files" in out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again on return: nothing listens there


def _newswatch(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newswatch.cli", *args],
        env={**os.environ, "NEWSWATCH_TOPIC_PREFIX": "nwtest-down", **env},
        capture_output=True,
        text=True,
        timeout=90,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["feeds", "list"],
        ["feeds", "status"],
        ["subscriptions", "list"],
        ["subscriptions", "show", "demo"],
        ["keys", "list"],
        ["deliveries", "failed"],
        ["feedback", "list"],
    ],
)
def test_redis_down_is_one_clear_line_and_exit_2(args):
    port = _closed_port()
    done = _newswatch(args, REDIS_URL=f"redis://:hunter2@127.0.0.1:{port}/0")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"newswatch: cannot reach Redis at redis://***@127.0.0.1:{port}/0: Connection refused; "
        "is it running? (make up)"
    ]


def test_topics_create_with_kafka_down_waits_as_long_as_told_then_fails_in_one_line():
    port = _closed_port()
    started = time.monotonic()
    done = _newswatch(
        ["topics", "create", "--wait", "3"], KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{port}"
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f"waiting for Kafka at 127.0.0.1:{port} (up to 3 s; --wait to change)...",
        f"newswatch: cannot reach Kafka at 127.0.0.1:{port}: Connection refused (waited 3 s); "
        "is it running? (make up)",
    ]
    assert 3 <= elapsed < 30
