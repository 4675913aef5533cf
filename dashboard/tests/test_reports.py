"""The Reports pages without a browser: every report's rows, totals and line against the
API's summary and time series over the same calls, the CSV export, and a fixed number of
queries whatever the number of calls."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Company, User
from api.tests.factories import CallFactory
from dashboard.tests.analytics_seed import Seeded, seed_history
from dashboard.views.reports import REPORTS
from telephony.reports import CallFigures

pytestmark = pytest.mark.django_db

FIELDS = "total_calls,missed_calls,answered_calls,first_time_callers,average_duration,leads"
# The reports whose rows are the API's own groups: report slug -> the API's group_by.
API_GROUPS = {"source": "source", "campaign": "campaign", "keyword": "keywords", "landing_page": "landing_page"}


@pytest.fixture
def signed_in(client: Client, manager_user: User) -> Client:
    client.force_login(manager_user)
    return client


@pytest.fixture
def seeded(company: Company, manager_user: User) -> Seeded:
    return seed_history(company, manager_user, calls=70)


@pytest.fixture
def api(api_client: APIClient, company: Company) -> Callable[..., dict[str, Any]]:
    """``api("summary", group_by="source")``: the API's answer for the company over the last 30 days."""

    def get(endpoint: str, **params: str) -> dict[str, Any]:
        query = {"company_id": company.public_id, "date_range": "last_30_days", "time_zone": company.time_zone}
        response = api_client.get(f"/v3/a/{company.account.public_id}/calls/{endpoint}.json", {**query, **params})
        assert response.status_code == 200, response.json()
        return response.json()

    return get


def figures_of(figures: CallFigures) -> dict[str, int]:
    return {
        "total_calls": figures.calls,
        "missed_calls": figures.missed,
        "answered_calls": figures.answered,
        "first_time_callers": figures.first_time,
        "average_duration": figures.average_duration,
        "leads": figures.leads,
    }


def api_figures(result: dict[str, Any]) -> dict[str, int]:
    return {name: result[name] for name in FIELDS.split(",")}


@pytest.mark.parametrize("slug", list(API_GROUPS))
def test_a_reports_rows_equal_the_api_groups(signed_in, company, seeded, api, slug):
    response = signed_in.get(f"/reports/{slug}/?company={company.public_id}")
    assert response.status_code == 200
    body = api("summary", group_by=API_GROUPS[slug], fields=FIELDS)
    expected = {group["key"]: api_figures(group) for group in body["grouped_results"]}
    rows = {row.value: figures_of(row.figures) for row in response.context["rows"]}
    assert rows == expected
    assert figures_of(response.context["total"]) == api_figures(body["total_results"])


def test_the_line_equals_the_api_time_series(signed_in, company, seeded, api):
    response = signed_in.get(f"/reports/campaign/?company={company.public_id}&compare=previous")
    series = api("timeseries", fields="total_calls")
    assert response.context["line"]["data"]["series"][0]["data"] == [point["total_calls"] for point in series["data"]]
    missed = signed_in.get(f"/reports/missed/?company={company.public_id}")
    by_day = api("timeseries", fields="missed_calls")["data"]
    assert missed.context["line"]["data"]["series"][0]["data"] == [point["missed_calls"] for point in by_day]


def test_tracker_tag_and_lead_status_rows_equal_the_api_filtered_by_them(signed_in, company, seeded, api):
    trackers = signed_in.get(f"/reports/tracker/?company={company.public_id}").context["rows"]
    assert {row.label for row in trackers} == {"Website pool", "Google Ads number", "Print ads"}
    for row in trackers:
        assert figures_of(row.figures) == api_figures(
            api("summary", tracker_ids=row.value, fields=FIELDS)["total_results"]
        )
    tags = signed_in.get(f"/reports/tag/?company={company.public_id}").context["rows"]
    for row in tags:
        if row.value is not None:
            assert figures_of(row.figures) == api_figures(
                api("summary", tags=row.value, fields=FIELDS)["total_results"]
            )
    statuses = signed_in.get(f"/reports/lead_status/?company={company.public_id}").context["rows"]
    assert {row.value for row in statuses} <= {"good_lead", "not_a_lead", "not_scored"}
    for row in statuses:
        assert figures_of(row.figures) == api_figures(
            api("summary", lead_status=row.value, fields=FIELDS)["total_results"]
        )


def test_time_of_day_lists_every_hour_and_adds_up(signed_in, company, seeded, api):
    response = signed_in.get(f"/reports/time_of_day/?company={company.public_id}")
    rows = response.context["rows"]
    assert [row.label for row in rows[:2]] == ["12 AM", "1 AM"]
    assert len(rows) == 24
    assert sum(row.figures.calls for row in rows) == api("summary")["total_results"]["total_calls"]
    ten = signed_in.get(f"/reports/source/?company={company.public_id}&hour=10").context["total"]
    assert ten.calls == next(row for row in rows if row.value == 10).figures.calls


def test_the_missed_calls_report_follows_missed_calls(signed_in, company, seeded, api):
    rows = signed_in.get(f"/reports/missed/?company={company.public_id}").context["rows"]
    groups = api("summary", group_by="source", fields="missed_calls")["grouped_results"]
    assert [(row.value, row.figures.missed) for row in rows] == sorted(
        ((group["key"], group["missed_calls"]) for group in groups if group["missed_calls"]), key=lambda pair: -pair[1]
    )


def test_a_filter_narrows_every_report(signed_in, company, seeded, api):
    response = signed_in.get(f"/reports/keyword/?company={company.public_id}&source=Google+Ads&campaign=Spring+sale")
    window = response.context["scope"].window
    expected = [
        call
        for call in seeded.calls
        if call.source == "google_paid"
        and call.campaign == "Spring sale"
        and window.start <= call.start_time < window.end
    ]
    assert expected
    assert response.context["total"].calls == len(expected)
    assert [chip.text for chip in response.context["chips"]] == ["Google Ads", "Spring sale"]
    assert {row.value for row in response.context["rows"]} == {"emergency plumber"}


def test_the_change_compares_each_row_with_the_previous_period(signed_in, company):
    now = timezone.now()
    for days in (2, 3, 4):
        CallFactory(company=company, start_time=now - timedelta(days=days), campaign="Spring")
    CallFactory(company=company, start_time=now - timedelta(days=40), campaign="Spring")
    CallFactory(company=company, start_time=now - timedelta(days=41), campaign="Winter")
    CallFactory(company=company, start_time=now - timedelta(days=5), campaign="")
    CallFactory(company=company, start_time=now - timedelta(days=42), campaign="")
    CallFactory(company=company, start_time=now - timedelta(days=43), campaign="")
    response = signed_in.get(f"/reports/campaign/?company={company.public_id}&compare=previous")
    rows = [(row.label, row.previous.calls, row.change_of().text) for row in response.context["rows"]]
    assert rows == [("Spring", 1, "+200%"), ("(not set)", 2, "−50%")]
    assert response.context["total_change"].text == "0%"  # 4 calls in each period


def test_the_csv_export_has_the_pages_rows(signed_in, company, seeded):
    page = signed_in.get(f"/reports/source/?company={company.public_id}&compare=previous")
    export = signed_in.get(f"/reports/source/export.csv?company={company.public_id}&compare=previous")
    assert export.status_code == 200
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"].startswith('attachment; filename="source-')
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert lines[0][:3] == ["Source", "Calls", "Answered"]
    assert lines[0][-2:] == ["Calls, previous period", "Change"]
    expected = [
        [row.label, str(row.figures.calls), str(row.figures.answered), str(row.figures.missed), str(row.previous.calls)]
        for row in page.context["rows"]
    ]
    assert [line[:4] + [line[-2]] for line in lines[1:]] == expected


def test_an_unknown_report_is_a_404(signed_in):
    assert signed_in.get("/reports/nope/").status_code == 404
    assert signed_in.get("/reports/nope/export.csv").status_code == 404


def test_another_accounts_company_is_a_404(signed_in, other_company):
    assert signed_in.get(f"/reports/source/?company={other_company.public_id}").status_code == 404
    assert signed_in.get(f"/reports/source/export.csv?company={other_company.public_id}").status_code == 404


def test_the_index_links_every_report_keeping_the_filters(signed_in, company):
    response = signed_in.get(f"/reports/?company={company.public_id}&source=Direct")
    links = [url for _, url, _ in response.context["reports"]]
    assert len(links) == len(REPORTS)
    assert links[0] == f"/reports/source/?company={company.public_id}&source=Direct"


# Reading the session, the user, the companies and the account, then the report's own: the
# series over both periods, the rows of the period and those of the comparison period.
QUERIES = 4 + 3


@pytest.mark.parametrize("slug", [report.slug for report in REPORTS])
def test_a_report_takes_the_same_queries_whatever_the_calls(
    signed_in: Client,
    company: Company,
    manager_user: User,
    django_assert_num_queries: Callable[..., Any],
    slug: str,
) -> None:
    url = f"/reports/{slug}/?company={company.public_id}&compare=previous"
    seed_history(company, manager_user, calls=3, seed=1)
    with django_assert_num_queries(QUERIES):
        assert signed_in.get(url).status_code == 200
    seed_history(company, manager_user, calls=40, seed=2)
    with django_assert_num_queries(QUERIES):
        assert signed_in.get(url).status_code == 200
