"""The pure parts of officers' feedback: link tokens, training rows, precision figures."""

from datetime import UTC, datetime, timedelta

import pytest

from newswatch.alerter.feedback.export import training_rows
from newswatch.alerter.feedback.precision import precision_report
from newswatch.alerter.feedback.records import feedback_id
from newswatch.alerter.feedback.tokens import LinkClaim, TokenError, sign, verify
from newswatch.shared.contracts import Feedback, FeedbackKind, FeedbackStatus, ItemSnapshot

NOW = 1_800_000_000.0
CLAIM = LinkClaim("ops", "d1", "a" * 32, "strike", int(NOW) + 3600)
FA, MISSED = FeedbackKind.FALSE_ALARM, FeedbackKind.MISSED_TAG
ACCEPTED, PENDING, REJECTED = (
    FeedbackStatus.ACCEPTED,
    FeedbackStatus.PENDING,
    FeedbackStatus.REJECTED,
)


def test_a_signed_token_verifies_to_its_claim_until_it_expires():
    token = sign(CLAIM, "s3cret")
    assert verify(token, "s3cret", NOW) == CLAIM
    assert verify(token, "s3cret", NOW + 3599) == CLAIM
    with pytest.raises(TokenError, match="expired") as expired:
        verify(token, "s3cret", NOW + 3600)
    assert expired.value.status == 400


def test_a_token_signed_with_another_secret_or_altered_is_refused():
    with pytest.raises(TokenError) as other:
        verify(sign(CLAIM, "guessed"), "s3cret", NOW)
    assert other.value.status == 403
    signature = sign(CLAIM, "s3cret").partition(".")[2]
    # Another team's claim under the original signature: the signature no longer fits.
    forged = sign(LinkClaim("intel", "d1", "a" * 32, "strike", CLAIM.expires_at), "x")
    with pytest.raises(TokenError) as swapped:
        verify(f"{forged.partition('.')[0]}.{signature}", "s3cret", NOW)
    assert swapped.value.status == 403
    # Even an expired forgery says "forged": the signature is checked before anything else.
    late = sign(LinkClaim("ops", "d1", "a" * 32, "strike", 1), "guessed")
    with pytest.raises(TokenError) as forged_late:
        verify(late, "s3cret", NOW)
    assert forged_late.value.status == 403


@pytest.mark.parametrize("token", ["", "nodot", ".sig", "body.", "a.b.c!", "x" * 3000])
def test_damaged_tokens_are_refused(token):
    with pytest.raises(TokenError):
        verify(token, "s3cret", NOW)


def feedback(
    kind: FeedbackKind,
    tag: str,
    item_id: str = "item1",
    status: FeedbackStatus = ACCEPTED,
    team: str = "ops",
    snapshot: ItemSnapshot | None = None,
    minutes: int = 0,
) -> Feedback:
    return Feedback(
        id=feedback_id(team, kind, tag, item_id),
        team=team,
        kind=kind,
        tag=tag,
        item_id=item_id,
        by="k1",
        status=status,
        created_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minutes),
        item=snapshot
        or ItemSnapshot(
            title="Army drill near the border",
            summary="Troops held a planned exercise.",
            language="en",
            tags=["strike", "arms_approval"],
        ),
    )


def test_export_removes_false_alarms_and_adds_missed_tags_one_row_per_item():
    sanctions = ItemSnapshot(
        title="EU agrees new measures", summary="", language="fr", tags=["diplomatic_protest"]
    )
    export = training_rows(
        [
            feedback(FA, "strike"),
            feedback(MISSED, "sanctions", item_id="item2", snapshot=sanctions, minutes=1),
        ]
    )
    assert export.rows == [
        {
            "id": "fb-item1",
            "title": "Army drill near the border",
            "summary": "Troops held a planned exercise.",
            "tags": ["arms_approval"],
            "lang": "en",
        },
        {
            "id": "fb-item2",
            "title": "EU agrees new measures",
            "summary": "",
            "tags": ["diplomatic_protest", "sanctions"],
            "lang": "fr",
        },
    ]


def test_export_folds_reports_on_one_item_and_leaves_out_textless_or_contradicted_items():
    export = training_rows(
        [
            feedback(FA, "strike"),
            feedback(FA, "arms_approval", team="intel"),
            feedback(FA, "strike", item_id="bare", snapshot=ItemSnapshot(tags=["strike"])),
            feedback(FA, "strike", item_id="both"),
            feedback(MISSED, "strike", item_id="both", team="intel"),
        ]
    )
    assert [(r["id"], r["tags"]) for r in export.rows] == [("fb-item1", [])]
    assert export.without_text == ["bare"] and export.contradicted == ["both"]


def test_precision_counts_reported_alerts_per_tag_with_pending_apart():
    alerts = [
        ("ops", "i1", "strike"),
        ("ops", "i2", "strike"),
        ("ops", "i3", "strike"),
        ("ops", "i4", "strike"),
        ("intel", "i1", "strike"),
        ("ops", "i5", "sanctions"),
        ("ops", "i5", "sanctions"),  # a second destination of the same alert
    ]
    reports = [
        feedback(FA, "strike", item_id="i1", status=ACCEPTED),
        feedback(FA, "strike", item_id="i2", status=PENDING),
        feedback(FA, "strike", item_id="i3", status=REJECTED),
        feedback(FA, "strike", item_id="old", status=ACCEPTED),  # no alert in the window
        feedback(MISSED, "sanctions", item_id="i9", status=PENDING),
        feedback(MISSED, "sanctions", item_id="i8", status=ACCEPTED),
        feedback(MISSED, "sanctions", item_id="i7", status=REJECTED),
    ]
    report = precision_report(alerts, reports, ["strike", "sanctions", "arms_approval"])
    strike, sanctions = report.tags["strike"], report.tags["sanctions"]
    assert (strike.alerts, strike.false_accepted, strike.false_pending) == (5, 1, 1)
    assert strike.false_rejected == 1
    assert strike.precision() == pytest.approx(3 / 5)
    assert strike.precision(with_pending=False) == pytest.approx(4 / 5)
    assert (sanctions.alerts, sanctions.missed_accepted, sanctions.missed_pending) == (1, 1, 1)
    assert sanctions.precision() == 1.0
    assert report.tags["arms_approval"].precision() is None
    assert (report.overall.alerts, report.overall.false_accepted) == (6, 1)
    assert report.overall.precision() == pytest.approx(4 / 6)
    assert report.unmatched == 1


def test_one_teams_repeat_report_is_the_same_feedback_and_another_teams_is_not():
    assert feedback_id("ops", FA, "strike", "i1") == feedback_id("ops", FA, "strike", "i1")
    assert feedback_id("ops", FA, "strike", "i1") != feedback_id("intel", FA, "strike", "i1")
    assert feedback_id("ops", FA, "strike", "i1") != feedback_id("ops", MISSED, "strike", "i1")
