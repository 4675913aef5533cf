"""The retention horizon for an account's ``data_retention_days`` (``callrail.dates``)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from callrail.dates import DateRangeError, retention_horizon, retention_start, window_from_params

NY = ZoneInfo("America/New_York")
NOW = datetime(2024, 3, 31, 16, tzinfo=UTC)  # 12:00 in New York


def test_the_horizon_is_the_first_local_midnight_after_the_purge_cutoff():
    # The purge deletes what started before 2024-03-01 12:00 New York time; a range may start
    # at the next midnight, never inside the half-purged day.
    assert retention_start(NY, NOW, 30).isoformat() == "2024-03-02T00:00:00-05:00"


def test_without_days_it_is_the_references_25_months():
    assert retention_start(NY, NOW) == retention_start(NY, NOW, None)
    assert retention_start(NY, NOW).isoformat() == "2022-02-28T00:00:00-05:00"


def test_an_account_keeping_everything_has_no_horizon():
    assert retention_horizon(NY, NOW, 0) is None
    window = window_from_params({"start_date": "2001-01-01"}, NY, "America/New_York", now=NOW, retention_days=0)
    assert window.start.isoformat() == "2001-01-01T00:00:00-05:00"


def test_a_range_starting_before_the_horizon_names_the_period():
    with pytest.raises(DateRangeError, match="kept for 30 days"):
        window_from_params({"start_date": "2024-03-01"}, NY, "America/New_York", now=NOW, retention_days=30)
    window = window_from_params({"start_date": "2024-03-02"}, NY, "America/New_York", now=NOW, retention_days=30)
    assert window.start.isoformat() == "2024-03-02T00:00:00-05:00"


def test_all_time_runs_from_the_horizon():
    window = window_from_params({"date_range": "all_time"}, NY, "America/New_York", now=NOW, retention_days=30)
    assert window.start.isoformat() == "2024-03-02T00:00:00-05:00"
