"""What each channel sends, with hostile feed text kept inert."""

import json
import time

import pytest

from newswatch.alerter.alert import Alert
from newswatch.alerter.channels import CHANNEL_TYPES, validate_target
from newswatch.alerter.channels.console import render_console
from newswatch.alerter.channels.email import email_message
from newswatch.alerter.channels.slack import slack_message
from newswatch.alerter.channels.webhook import sign, verify, webhook_payload
from newswatch.shared.contracts import ChannelTarget
from tests.factories import classified

HOSTILE = "Strike <!channel> <@U123> <https://evil.example|click> & <script>x</script>\r\nBcc: victim@example.org"


def alert(**overrides) -> Alert:
    item = classified(1, **overrides)
    return Alert("d" * 32, "ops", item, item.tags)


def test_slack_message_uses_block_kit_within_slack_limits():
    message = slack_message(alert())
    assert message["text"].startswith("[strike (95%)]")
    types = [b["type"] for b in message["blocks"]]
    assert types[:3] == ["header", "section", "context"]
    assert (
        message["blocks"][1]["text"]["text"]
        == "*<https://wire.example/story/1|Missile strike hits Odesa port (1)>*"
    )
    assert len(message["blocks"][0]["text"]["text"]) <= 150
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message["blocks"])


def test_feed_text_cannot_ping_or_link_in_slack():
    text = json.dumps(slack_message(alert(title=HOSTILE, link="https://a.example/?q=<x>&y")))
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
    assert "&lt;!channel&gt;" in text and "&amp;" in text


def test_email_has_plain_and_html_parts_escapes_feed_text_and_allows_no_header_injection():
    message = email_message(
        alert(title=HOSTILE), "newswatch <alerts@example.org>", "ops@example.org"
    )
    assert "\n" not in message["Subject"] and message["Bcc"] is None
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Places: Odesa (UA)" in plain
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert message["Message-ID"] == f"<{'0' * 31}1.r1@newswatch>"


def test_an_updated_story_threads_under_the_first_email():
    message = email_message(alert(revision=2), "a@example.org", "b@example.org")
    assert message["In-Reply-To"] == f"<{'0' * 31}1.r1@newswatch>"


def test_webhook_payload_carries_the_classified_item_and_a_verifiable_signature():
    payload = webhook_payload(alert())
    assert (
        payload["type"] == "newswatch.alert"
        and payload["classified"]["item"]["id"] == "0" * 31 + "1"
    )
    body = json.dumps(payload).encode()
    now = int(time.time())
    headers = sign(body, "s3cret", now)
    assert verify(
        body, "s3cret", headers["X-Newswatch-Timestamp"], headers["X-Newswatch-Signature"]
    )
    assert not verify(body + b" ", "s3cret", str(now), headers["X-Newswatch-Signature"])
    assert not verify(body, "other", str(now), headers["X-Newswatch-Signature"])
    stale = sign(body, "s3cret", now - 3600)
    assert not verify(
        body, "s3cret", stale["X-Newswatch-Timestamp"], stale["X-Newswatch-Signature"]
    )


def test_console_shows_tags_facts_and_evidence():
    text = render_console(alert())
    assert text.splitlines()[0] == "ALERT [strike (95%)] Missile strike hits Odesa port (1)"
    assert "Places: Odesa (UA)" in text and 'evidence: "Missile strike"' in text


@pytest.mark.parametrize(
    ("kind", "target", "ok"),
    [
        ("slack", "https://hooks.slack.example/services/T/B/X", True),
        ("slack", "not a url", False),
        ("webhook", "ftp://files.example/", False),
        ("email", "ops@example.org", True),
        ("email", "ops@example.org\r\nBcc: x@example.org", False),
        ("email", "nobody", False),
        ("console", "-", True),
        ("pager", "x", False),
    ],
)
def test_targets_are_checked_when_a_subscription_is_saved(kind, target, ok):
    if ok:
        validate_target(ChannelTarget(kind=kind, target=target))
    else:
        with pytest.raises(ValueError):
            validate_target(ChannelTarget(kind=kind, target=target))


def test_secret_urls_are_masked_for_logs_and_records():
    target = ChannelTarget(kind="slack", target="https://hooks.slack.example/services/T/B/SECRET")
    assert CHANNEL_TYPES["slack"].mask(target) == "https://hooks.slack.example/…"
