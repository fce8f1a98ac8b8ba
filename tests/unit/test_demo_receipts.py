"""The demo's receipts: one line per alert once every channel has it, or after the wait."""

from newswatch.demo.receipts import Receipts, alert_key

TITLE = "Russian air assault on Kyiv kills 23 and damages EU mission"


def test_each_channels_subject_names_the_same_alert():
    assert alert_key(f"[strike (100%)] {TITLE}") == TITLE  # Slack
    assert alert_key(f"[newswatch: strike] {TITLE}") == TITLE  # email
    assert alert_key(f"[strike,diplomatic_protest] {TITLE}") == TITLE  # webhook
    assert alert_key("newswatch digest: 3 updates") == alert_key("newswatch digest of 3")


def test_one_line_once_every_expected_channel_has_the_alert():
    receipts = Receipts(expected=("slack", "email", "webhook"))
    assert receipts.add("webhook", f"[strike] {TITLE}", now=0.0) == []
    assert receipts.add("email", f"[newswatch: strike] {TITLE}", now=0.2) == []
    assert receipts.add("slack", f"[strike (100%)] {TITLE}", now=0.3) == [
        f"✓ received by slack, email, webhook: [strike (100%)] {TITLE}"
    ]
    assert receipts.due(now=60.0) == []  # nothing left open


def test_a_channel_that_has_not_delivered_within_the_wait_is_named():
    receipts = Receipts(expected=("slack", "email", "webhook"), wait_seconds=10)
    receipts.add("slack", f"[strike (100%)] {TITLE}", now=0.0)
    receipts.add("webhook", f"[strike] {TITLE}", now=1.0)
    assert receipts.due(now=9.9) == []
    assert receipts.due(now=10.0) == [
        f"✓ received by slack, webhook (no email within 10 s): [strike (100%)] {TITLE}"
    ]
    # The mail server was slow, not gone: its copy arrives, on a line of its own.
    assert receipts.add("email", f"[newswatch: strike] {TITLE}", now=30.0) == [
        f"✓ received by email (late): [newswatch: strike] {TITLE}"
    ]


def test_alerts_in_flight_together_are_kept_apart():
    receipts = Receipts(expected=("slack", "webhook"))
    assert receipts.add("slack", "[strike (90%)] A", now=0.0) == []
    assert receipts.add("slack", "[sanctions (99%)] B", now=0.1) == []
    assert receipts.add("webhook", "[sanctions] B", now=0.2) == [
        "✓ received by slack, webhook: [sanctions (99%)] B"
    ]
    assert receipts.add("webhook", "[strike] A", now=0.3) == [
        "✓ received by slack, webhook: [strike (90%)] A"
    ]


def test_the_same_title_much_later_is_a_new_alert():
    receipts = Receipts(expected=("slack",), remember_seconds=120)
    assert receipts.add("slack", "[strike (90%)] A", now=0.0) == [
        "✓ received by slack: [strike (90%)] A"
    ]
    assert receipts.due(now=200.0) == []
    assert receipts.add("slack", "[strike (95%)] A", now=200.0) == [
        "✓ received by slack: [strike (95%)] A"
    ]
