"""``failed_retention``: how long finally failed deliveries are kept for replay."""

from datetime import timedelta

import pytest
from pydantic import ValidationError

from newswatch.alerter.settings import AlerterSettings


def test_failed_deliveries_are_kept_two_weeks_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("NEWSWATCH_ALERTER_FAILED_RETENTION", raising=False)
    assert AlerterSettings().failed_retention == timedelta(days=14)
    for given, meant in (("30 days", timedelta(days=30)), ("P3D", timedelta(days=3))):
        monkeypatch.setenv("NEWSWATCH_ALERTER_FAILED_RETENTION", given)
        assert AlerterSettings().failed_retention == meant


def test_a_retention_of_nothing_is_refused():
    with pytest.raises(ValidationError):
        AlerterSettings(failed_retention=timedelta(0))
