from datetime import UTC, datetime, timedelta

from newswatch.fetcher.cli import status_table
from newswatch.fetcher.feeds import FeedSpec, parse_opml, render_opml
from newswatch.fetcher.schedule import FeedHealth

NOW = datetime(2025, 9, 2, 12, 0, tzinfo=UTC)


def test_status_table_shows_health_per_feed():
    ok, failing, paused, new = (
        FeedSpec(url=f"https://{h}.example/rss", name=h) for h in ("ok", "bad", "off", "new")
    )
    table = status_table(
        [ok, failing, paused, new],
        {
            ok.id: FeedHealth(
                interval_seconds=300,
                last_success_at=NOW - timedelta(minutes=5),
                entries_per_day=48.0,
                next_poll_at=NOW + timedelta(minutes=2),
            ),
            failing.id: FeedHealth(
                interval_seconds=300,
                last_error_at=NOW - timedelta(hours=2),
                last_error_kind="timeout",
                consecutive_failures=3,
                next_poll_at=NOW + timedelta(hours=1),
            ),
            paused.id: FeedHealth(interval_seconds=300),
        },
        NOW,
    ).splitlines()
    assert table[0].split() == [
        "feed",
        "state",
        "last",
        "success",
        "last",
        "error",
        "fails",
        "per",
        "day",
        "next",
        "poll",
    ]
    assert "ok" in table[1] and "5m ago" in table[1] and "48.0" in table[1] and "in 2m" in table[1]
    assert (
        "failing" in table[2]
        and "timeout (2h ago)" in table[2]
        and " 3 " in table[2]
        and "in 1h" in table[2]
    )
    assert "never" in table[2]


def test_opml_export_round_trips_through_import():
    specs = [
        FeedSpec(url="https://a.example/rss?x=1&y=2", name='A "quoted" & odd <name>'),
        FeedSpec(url="https://b.example/atom"),
    ]
    back = parse_opml(render_opml(specs).encode())
    assert [(s.url, s.name) for s in back] == [
        (specs[0].url, specs[0].name),
        (specs[1].url, specs[1].id),
    ]
