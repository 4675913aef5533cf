"""The Overview page without a browser: its figures against the API's for the same rows,
its filters, its top-list tabs, and a fixed number of queries whatever the number of calls."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Company, User
from api.tests.factories import CallFactory, FormSubmissionFactory
from dashboard.tests.analytics_seed import seed_history

pytestmark = pytest.mark.django_db

ALL = "total_calls,missed_calls,answered_calls,first_time_callers,average_duration,leads"


@pytest.fixture
def signed_in(client: Client, manager_user: User) -> Client:
    client.force_login(manager_user)
    return client


def days_ago(company: Company, days: int, hour: int = 11) -> datetime:
    tz = ZoneInfo(company.time_zone)
    return (timezone.now().astimezone(tz) - timedelta(days=days)).replace(hour=hour, minute=5)


def cards(response: Any) -> dict[str, Any]:
    return {kpi.key: kpi for kpi in response.context["kpis"]}


def test_it_shows_the_periods_figures(signed_in, company, second_company):
    CallFactory(company=company, start_time=days_ago(company, 2), duration=100, answered=True, lead_status="good_lead")
    CallFactory(company=company, start_time=days_ago(company, 3), duration=50, answered=False, first_call=False)
    CallFactory(company=company, start_time=days_ago(company, 4), duration=60, answered=True)
    CallFactory(company=company, start_time=days_ago(company, 5), spam=True)  # never counted
    CallFactory(company=company, start_time=days_ago(company, 40))  # the previous period
    CallFactory(company=second_company, start_time=days_ago(second_company, 2))
    FormSubmissionFactory(company=company, submitted_at=days_ago(company, 2))

    response = signed_in.get(f"/?company={company.public_id}")

    assert response.status_code == 200
    kpis = cards(response)
    assert kpis["calls"].value == "3"
    assert kpis["answered"].value == "66.7%"
    assert kpis["missed"].value == "1"
    assert kpis["first_time"].value == "2"
    assert kpis["leads"].value == "1"
    assert kpis["duration"].value == "1m 10s"
    assert kpis["forms"].value == "1"
    assert all(kpi.change is None for kpi in kpis.values())
    # All companies: the second company's call too.
    assert cards(signed_in.get("/"))["calls"].value == "4"


def test_the_comparison_switch_adds_the_change(signed_in, company):
    for days in (2, 3, 4):
        CallFactory(company=company, start_time=days_ago(company, days))
    for days in (35, 40):
        CallFactory(company=company, start_time=days_ago(company, days), answered=False)

    kpis = cards(signed_in.get(f"/?company={company.public_id}&compare=previous"))

    assert kpis["calls"].previous == "2"
    assert kpis["calls"].change.text == "+50%"
    assert kpis["calls"].change.tone == "good"
    assert kpis["missed"].change.text == "−100%"
    assert kpis["missed"].change.tone == "good"  # fewer missed calls
    assert kpis["answered"].change.text == "+100.0 pts"


def test_its_figures_equal_the_api(signed_in, company, manager_user, api_client):
    seed_history(company, manager_user, calls=60)
    response = signed_in.get(f"/?company={company.public_id}&compare=previous&date_range=last_7_days")
    api = api_client.get(
        f"/v3/a/{company.account.public_id}/calls/summary.json",
        {"company_id": company.public_id, "date_range": "last_7_days", "time_zone": company.time_zone, "fields": ALL},
    ).json()["total_results"]
    series = api_client.get(
        f"/v3/a/{company.account.public_id}/calls/timeseries.json",
        {"company_id": company.public_id, "date_range": "last_7_days", "time_zone": company.time_zone},
    ).json()

    kpis = cards(response)
    assert kpis["calls"].value == str(api["total_calls"])
    assert kpis["missed"].value == str(api["missed_calls"])
    assert kpis["first_time"].value == str(api["first_time_callers"])
    assert kpis["leads"].value == str(api["leads"])
    assert response.context["chart"]["data"]["series"][0]["data"] == [row["total_calls"] for row in series["data"]]
    # Top sources, as the API groups them.
    grouped = api_client.get(
        f"/v3/a/{company.account.public_id}/calls/summary.json",
        {
            "company_id": company.public_id,
            "date_range": "last_7_days",
            "time_zone": company.time_zone,
            "group_by": "source",
        },
    ).json()["grouped_results"]
    rows = [(row.label, row.figures.calls) for row, _ in response.context["top_rows"]]
    assert rows == [(group["key"], group["total_calls"]) for group in grouped][: len(rows)]


def test_a_top_list_row_filters_the_page(signed_in, company, manager_user):
    CallFactory(company=company, start_time=days_ago(company, 2), source="google_paid", campaign="Spring")
    CallFactory(company=company, start_time=days_ago(company, 3), source="google_paid", campaign="")
    CallFactory(company=company, start_time=days_ago(company, 3), source="direct", campaign="Spring")

    response = signed_in.get(f"/?company={company.public_id}")
    google = next(row for row, _ in response.context["top_rows"] if row.label == "Google Ads")
    assert google.filter_query == f"?company={company.public_id}&source=Google+Ads"

    filtered = signed_in.get(f"/{google.filter_query}")
    assert cards(filtered)["calls"].value == "2"
    chip = filtered.context["chips"][0]
    assert (chip.label, chip.text, chip.remove_query) == ("Source", "Google Ads", f"?company={company.public_id}")
    campaigns = signed_in.get(f"/{google.filter_query}&top=campaign").context["top_rows"]
    assert [(row.label, row.filter_value) for row, _ in campaigns] == [("(not set)", "(none)"), ("Spring", "Spring")]
    assert cards(signed_in.get(f"/?company={company.public_id}&campaign=(none)"))["calls"].value == "1"


def test_a_filter_forms_lack_leaves_the_forms_card_empty(signed_in, company):
    CallFactory(company=company, start_time=days_ago(company, 2), tracker=None)
    response = signed_in.get(f"/?company={company.public_id}&tracker=(none)")
    assert cards(response)["calls"].value == "1"
    assert cards(response)["forms"].value == "–"
    assert response.context["chips"][0].text == "No tracker"


def test_an_unreadable_filter_is_dropped_with_a_notice(signed_in, company):
    CallFactory(company=company, start_time=days_ago(company, 2))
    response = signed_in.get(f"/?company={company.public_id}&hour=25&lead_status=great")
    assert response.status_code == 200
    assert cards(response)["calls"].value == "1"
    assert len(response.context["filter_notices"]) == 2
    assert "hour" not in response.context["top_tabs"][1][2]


def test_a_tab_picked_with_htmx_answers_the_list_alone(signed_in, company):
    CallFactory(company=company, start_time=days_ago(company, 2), medium="cpc")
    response = signed_in.get(
        f"/?company={company.public_id}&top=medium", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="top-lists"
    )
    body = response.content.decode()
    assert 'id="top-lists"' in body and "<html" not in body
    assert "cpc" in body


def test_the_heat_map_counts_calls_by_local_weekday_and_hour(signed_in, company):
    moment = days_ago(company, 2, hour=14)
    CallFactory(company=company, start_time=moment)
    CallFactory(company=company, start_time=moment + timedelta(minutes=20))
    rows = signed_in.get(f"/?company={company.public_id}").context["heat_map"]
    day = rows[moment.weekday()]
    assert day[2][14].calls == 2
    assert day[2][14].level == 5
    assert sum(cell.calls for _, _, cells in rows for cell in cells) == 2


def test_reporting_users_see_only_their_companies(client, reporting_user, company, second_company):
    CallFactory(company=second_company, start_time=days_ago(second_company, 2))
    client.force_login(reporting_user)
    assert cards(client.get("/"))["calls"].value == "0"
    assert client.get(f"/?company={second_company.public_id}").status_code == 404


# Reading the session, the user, the companies and the account, then the page's own
# statements: the hourly series (both periods at once) and the top list, plus the form
# submissions of each period and, with a tracker filter, the tracker's name for its chip.
QUERIES = {
    "": 4 + 2 + 1,
    "&compare=previous": 4 + 2 + 2,
    "&compare=previous&top=tracker&campaign=Spring+sale": 4 + 2 + 2,
    "&compare=previous&tracker={tracker}": 4 + 2 + 1,
}


@pytest.mark.parametrize("query", QUERIES)
def test_it_takes_the_same_queries_whatever_the_calls(
    signed_in: Client,
    company: Company,
    manager_user: User,
    django_assert_num_queries: Callable[..., Any],
    query: str,
) -> None:
    CallFactory(company=company, start_time=days_ago(company, 2), source="google_paid")
    seeded = seed_history(company, manager_user, calls=4, seed=1)
    url = f"/?company={company.public_id}" + query.format(tracker=seeded.trackers[0].public_id)
    with django_assert_num_queries(QUERIES[query]):
        assert signed_in.get(url).status_code == 200
    seed_history(company, manager_user, calls=40, seed=2)
    with django_assert_num_queries(QUERIES[query]):
        assert signed_in.get(url).status_code == 200
