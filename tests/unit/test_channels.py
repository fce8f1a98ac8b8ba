"""What each channel sends, with hostile feed text kept inert."""

import json
import time

import pytest
from slack_sdk.models.blocks import Block

from newswatch.alerter.addresses import AddressPolicy
from newswatch.alerter.alert import Alert, Digest, DigestEntry
from newswatch.alerter.channels import CHANNEL_TYPES, DeliveryError, validate_target
from newswatch.alerter.channels.console import render_console
from newswatch.alerter.channels.email import email_message
from newswatch.alerter.channels.slack import slack_digest, slack_message
from newswatch.alerter.channels.webhook import digest_payload, sign, verify, webhook_payload
from newswatch.alerter.stories import StoryBook
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
    assert message["Message-ID"] == f"<story.{'0' * 31}1@newswatch>"


def digest(*updates: bool, title: str = "Missile strike hits Odesa port") -> Digest:
    entries = []
    for n, update in enumerate(updates, start=1):
        item = classified(n, title=title, source=f"Outlet {n}")
        story = StoryBook().assign(item).story
        story.sources += ["Other A", "Other B"]
        entries.append(DigestEntry(story, item, item.tags, update))
    return Digest("e" * 32, "ops", entries)


def test_a_follow_up_threads_under_its_story_email():
    message = email_message(digest(True), "a@example.org", "b@example.org")
    assert message["In-Reply-To"] == f"<story.{'0' * 31}1@newswatch>"
    assert "also reported by 2 sources" in message.get_body(("plain",)).get_content()


def test_digests_list_each_story_with_its_other_sources_in_every_channel():
    notice = digest(False, True, title=HOSTILE)
    assert notice.title == "newswatch digest: 1 new story, 1 update"
    slack = json.dumps(slack_digest(notice))
    assert "<!channel>" not in slack and "also reported by 2 sources" in slack
    html = email_message(notice, "a@example.org", "b@example.org").get_body(("html",)).get_content()
    assert "<script>" not in html and html.count("<li>") == 2
    payload = digest_payload(notice)
    assert payload["type"] == "newswatch.digest" and [e["update"] for e in payload["entries"]] == [
        False,
        True,
    ]
    assert render_console(notice).startswith("DIGEST newswatch digest")


def test_slack_messages_are_valid_block_kit():
    for message in (slack_message(alert(title=HOSTILE)), slack_digest(digest(False, True))):
        for block in message["blocks"]:
            Block.parse(block).validate_json()  # raises SlackObjectFormationError when invalid


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
        ("slack", "https://93.184.215.14/services/T/B/X", True),
        ("slack", "http://127.0.0.1:8080/hook", False),
        ("webhook", "http://169.254.169.254/latest", False),
        ("apprise", "json://93.184.215.14/hook", True),
        ("apprise", "json://10.0.0.5/hook", False),
        ("apprise", "discord://1234/abcdef", True),
        ("apprise", "nonsense://x", False),
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
    policy = AddressPolicy()
    if ok:
        validate_target(ChannelTarget(kind=kind, target=target), policy)
    else:
        with pytest.raises(ValueError):
            validate_target(ChannelTarget(kind=kind, target=target), policy)


def test_secret_urls_are_masked_for_logs_and_records():
    target = ChannelTarget(kind="slack", target="https://hooks.slack.example/services/T/B/SECRET")
    assert CHANNEL_TYPES["slack"].mask(target) == "https://hooks.slack.example/…"


def test_apprise_urls_are_masked_by_apprise_itself():
    target = ChannelTarget(kind="apprise", target="tgram://123456789:SECRETTOKEN/-100200300")
    assert "SECRETTOKEN" not in CHANNEL_TYPES["apprise"].mask(target)


async def test_apprise_refuses_an_address_the_policy_forbids_before_sending():
    channel = CHANNEL_TYPES["apprise"](AddressPolicy())
    with pytest.raises(DeliveryError) as refused:
        await channel.send(alert(), ChannelTarget(kind="apprise", target="json://10.0.0.5/hook"))
    assert not refused.value.retryable
