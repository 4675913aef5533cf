"""The URL state helper: reading a query string, falling back on what cannot be read, and
writing links that change one thing and keep the rest."""

from datetime import UTC, date, datetime

import pytest
from django.http import QueryDict

from dashboard.state import DEFAULT_PRESET, DashboardState

NOW = datetime(2024, 3, 15, 16, 0, tzinfo=UTC)  # noon in New York


def state(query: str) -> DashboardState:
    return DashboardState.from_query(QueryDict(query))


def test_it_reads_the_shared_state():
    found = state("company=COMabc&date_range=last_7_days&compare=previous&sort=-duration&page=3&source=google")
    assert found.company == "COMabc"
    assert found.date_range == "last_7_days"
    assert found.compare is True
    assert (found.sort, found.page) == ("-duration", "3")
    assert found.filters == {"source": ["google"]}
    assert found.notices == ()


def test_the_defaults_are_the_last_30_days_without_comparison():
    found = state("")
    assert (found.company, found.date_range, found.compare, found.sort, found.page) == (
        None,
        DEFAULT_PRESET,
        False,
        "",
        "",
    )


def test_custom_dates_are_inclusive_days():
    found = state("date_range=custom&start_date=2024-03-01&end_date=2024-03-07")
    assert (found.start_date, found.end_date) == (date(2024, 3, 1), date(2024, 3, 7))
    window, problem = found.window("America/New_York", now=NOW)
    assert problem is None
    assert (window.first_day, window.last_day) == (date(2024, 3, 1), date(2024, 3, 7))


def test_dates_alone_mean_a_custom_range():
    assert state("start_date=2024-03-01&end_date=2024-03-07").date_range == "custom"


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ("date_range=fortnight", "Unknown date range “fortnight”: showing last 30 days instead."),
        ("date_range=custom&start_date=2024-13-01&end_date=2024-03-07", "The custom dates could not be read"),
        ("date_range=custom&start_date=2024-03-07&end_date=2024-03-01", "The custom range ends before it starts"),
    ],
)
def test_what_cannot_be_read_falls_back_with_a_notice(query, notice):
    found = state(query)
    assert found.date_range == DEFAULT_PRESET
    assert found.notices[0].startswith(notice)


def test_a_custom_range_past_retention_falls_back_with_a_notice():
    window, problem = state("start_date=2019-01-01&end_date=2019-01-31").window("America/New_York", now=NOW)
    assert problem.startswith("Communication records are kept for 25 months.")
    assert (window.first_day, window.last_day) == (date(2024, 2, 14), date(2024, 3, 14))


def test_a_preset_ignores_and_drops_leftover_custom_dates():
    found = state("date_range=yesterday&start_date=2024-03-01&end_date=2024-03-07&company=COMa")
    assert (found.start_date, found.end_date) == (None, None)
    assert found.query() == "?date_range=yesterday&company=COMa"


def test_the_period_follows_the_time_zone():
    window, _ = state("date_range=today").window("Australia/Sydney", now=NOW)
    assert window.first_day == date(2024, 3, 16)  # already tomorrow in Sydney
    assert window.tz_name == "Australia/Sydney"


def test_a_link_changes_one_thing_keeps_the_rest_and_goes_back_to_page_one():
    found = state("company=COMa&date_range=last_7_days&source=google&source=bing&page=4")
    assert (
        found.query(sort="-duration") == "?company=COMa&date_range=last_7_days&source=google&source=bing&sort=-duration"
    )
    assert found.query(source=None) == "?company=COMa&date_range=last_7_days"
    assert found.query(source=["yahoo"]) == "?company=COMa&date_range=last_7_days&source=yahoo"
    assert found.query(page="5") == "?company=COMa&date_range=last_7_days&source=google&source=bing&page=5"


def test_navigation_keeps_company_and_period_but_not_filters():
    found = state(
        "company=COMa&date_range=custom&start_date=2024-03-01&end_date=2024-03-07&compare=previous&q=x&sort=name"
    )
    assert (
        found.shared_query
        == "?company=COMa&date_range=custom&start_date=2024-03-01&end_date=2024-03-07&compare=previous"
    )


def test_hidden_fields_resend_everything_but_the_form_s_own_fields_and_the_page():
    found = state("company=COMa&date_range=last_7_days&source=google&page=2")
    assert found.hidden_fields("company") == [("date_range", "last_7_days"), ("source", "google")]


def test_blank_and_oversized_values_are_harmless():
    found = state("company=&date_range=&sort=DROP%20TABLE&page=" + "9" * 500)
    assert found.company is None
    assert found.date_range == DEFAULT_PRESET
    assert found.sort == ""
    assert len(found.page) == 200


def test_what_could_not_be_read_is_not_carried_into_links():
    found = state("date_range=fortnight&sort=DROP%20TABLE&company=COMa")
    assert found.query() == "?company=COMa"
