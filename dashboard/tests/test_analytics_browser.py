"""The Overview and Reports in a real browser: the KPI cards for seeded calls, the comparison
switch, a top-list row filtering the page and its URL, a report's totals against the API's
summary, the CSV export against the table, and every page through axe, on a desktop and a phone."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Company
from api.tests.factories import CallFactory, FormSubmissionFactory
from dashboard.tests.analytics_seed import seed_history
from dashboard.tests.conftest import PHONE
from dashboard.views.reports import REPORTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def days_ago(company: Company, days: int, hour: int = 11) -> datetime:
    tz = ZoneInfo(company.time_zone)
    return (timezone.now().astimezone(tz) - timedelta(days=days)).replace(hour=hour, minute=10)


def card(page, label: str):
    return page.get_by_role("group", name=label, exact=True)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@pytest.fixture
def few_calls(company):
    """Three calls this period (two answered, one good lead), two in the one before, a form."""
    CallFactory(
        company=company, start_time=days_ago(company, 2), source="google_paid", duration=100, lead_status="good_lead"
    )
    CallFactory(company=company, start_time=days_ago(company, 3), source="google_paid", duration=20, answered=False)
    CallFactory(company=company, start_time=days_ago(company, 4, hour=15), source="direct", duration=60)
    CallFactory(company=company, start_time=days_ago(company, 35), source="direct", first_call=False)
    CallFactory(company=company, start_time=days_ago(company, 36), source="direct", answered=False)
    FormSubmissionFactory(company=company, submitted_at=days_ago(company, 2))


def test_the_overview_shows_the_periods_figures(page, live_url, sign_in, check_page, manager_user, company, few_calls):
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview", f"?company={company.public_id}"))

    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(card(page, "Calls")).to_contain_text("3")
    expect(card(page, "Answered")).to_contain_text("66.7%")
    expect(card(page, "Missed")).to_contain_text("1")
    expect(card(page, "First-time callers")).to_contain_text("3")
    expect(card(page, "Good leads")).to_contain_text("1")
    expect(card(page, "Avg. duration")).to_contain_text("1m 0s")
    expect(card(page, "Form submissions")).to_contain_text("1")
    expect(card(page, "Calls")).not_to_contain_text("vs")
    expect(page.get_by_role("img", name=re.compile("^Calls per day"))).to_be_visible()
    heat_map = page.get_by_role("table", name=re.compile("Calls by weekday"))
    expect(heat_map.get_by_role("cell", name="1", exact=True)).to_have_count(3)
    check_page("overview")


def test_the_comparison_switch_changes_the_cards(page, live_url, sign_in, check_page, manager_user, company, few_calls):
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview", f"?company={company.public_id}"))

    page.get_by_label("Compare with previous period").check()

    expect(page).to_have_url(re.compile("compare=previous"))
    expect(card(page, "Calls")).to_contain_text("+50%")
    expect(card(page, "Calls")).to_contain_text("vs 2")
    expect(card(page, "Missed")).to_contain_text("vs 1")
    expect(card(page, "First-time callers")).to_contain_text("+200%")
    expect(page.get_by_text("Previous period").first).to_be_visible()
    check_page("overview-compare")


def test_a_top_list_row_filters_the_page_and_the_url(page, live_url, sign_in, check_page, manager_user, company):
    seed_history(company, manager_user, calls=60)
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview", f"?company={company.public_id}"))
    all_calls = card(page, "Calls").locator("[data-kpi-value]").inner_text()
    top = page.get_by_role("table", name=re.compile("Calls by source"))
    google = top.get_by_role("row").filter(has=page.get_by_role("link", name="Google Ads"))
    google_calls = google.get_by_role("cell").first.inner_text()

    google.get_by_role("link", name="Google Ads").click()

    expect(page).to_have_url(re.compile(r"source=Google\+Ads"))
    expect(card(page, "Calls").locator("[data-kpi-value]")).to_have_text(google_calls)
    assert google_calls != all_calls
    chip = page.get_by_role("link", name="Remove filter Source: Google Ads")
    expect(chip).to_be_visible()

    # A tab swaps only the list (htmx) and keeps its state in the URL.
    page.get_by_role("navigation", name="Break down by").get_by_role("link", name="Campaign").click()
    expect(page).to_have_url(re.compile("top=campaign"))
    expect(page.get_by_role("table", name=re.compile("Calls by campaign"))).to_contain_text("Spring sale")
    check_page("overview-filtered")

    chip.click()
    expect(page).not_to_have_url(re.compile("source="))
    expect(card(page, "Calls").locator("[data-kpi-value]")).to_have_text(all_calls)
    assert query_of(page.url)["company"] == company.public_id


def test_a_reports_totals_equal_the_api_summary(page, live_url, sign_in, check_page, manager_user, company, api_client):
    seed_history(company, manager_user, calls=80)
    sign_in(manager_user)
    page.goto(live_url("dashboard:report", f"?company={company.public_id}&compare=previous", slug="source"))

    expect(page.get_by_role("heading", name="Sources", level=1)).to_be_visible()
    api = api_client.get(
        f"/v3/a/{company.account.public_id}/calls/summary.json",
        {
            "company_id": company.public_id,
            "date_range": "last_30_days",
            "time_zone": company.time_zone,
            "group_by": "source",
            "fields": "total_calls,answered_calls,first_time_callers,leads",
        },
    ).json()
    totals = page.locator("tfoot tr")
    for column, name in (
        ("calls", "total_calls"),
        ("answered", "answered_calls"),
        ("first_time", "first_time_callers"),
    ):
        expect(totals.locator(f'[data-col="{column}"]')).to_have_text(str(api["total_results"][name]))
    expect(totals.locator('[data-col="leads"]')).to_have_text(str(api["total_results"]["leads"]))
    for group in api["grouped_results"]:
        row = page.locator("tbody tr").filter(has=page.get_by_role("link", name=group["key"], exact=True))
        expect(row.locator('[data-col="calls"]')).to_have_text(str(group["total_calls"]))
    check_page("report-source")


def test_the_csv_export_downloads_the_tables_rows(page, live_url, sign_in, manager_user, company, tmp_path: Path):
    seed_history(company, manager_user, calls=50)
    sign_in(manager_user)
    page.goto(live_url("dashboard:report", f"?company={company.public_id}", slug="campaign"))
    table = [
        [cell.strip() for cell in row.locator("th, td").all_inner_texts()[:3]]
        for row in page.locator("table.report-table tbody tr").all()
    ]

    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)

    assert download.value.suggested_filename.startswith("campaign-")
    with path.open(newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0][:3] == ["Campaign", "Calls", "Answered"]
    assert [row[:3] for row in rows[1:]] == table


@pytest.mark.parametrize("report", [report.slug for report in REPORTS])
def test_every_report_page(page, live_url, sign_in, check_page, manager_user, company, report):
    seed_history(company, manager_user, calls=40)
    sign_in(manager_user)
    page.goto(live_url("dashboard:reports", f"?company={company.public_id}&compare=previous"))
    title = next(item.title for item in REPORTS if item.slug == report)
    page.get_by_role("link", name=re.compile(f"^{title}")).first.click()
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Reports").get_by_role("link", name=title)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("img", name=re.compile(" per day"))).to_be_visible()
    check_page(f"report-{report}")


def test_the_reports_index_and_empty_reports(page, live_url, sign_in, check_page, manager_user, company):
    sign_in(manager_user)
    page.goto(live_url("dashboard:reports", f"?company={company.public_id}"))
    expect(page.get_by_role("link", name=re.compile("^Missed calls"))).to_be_visible()
    check_page("reports")
    page.goto(live_url("dashboard:report", f"?company={company.public_id}", slug="keyword"))
    expect(page.get_by_role("heading", name="No calls in this period")).to_be_visible()
    check_page("report-empty")


def test_the_overview_and_a_report_on_a_phone(page, live_url, sign_in, check_page, manager_user, company):
    seed_history(company, manager_user, calls=60)
    sign_in(manager_user)
    page.set_viewport_size(PHONE)
    page.goto(live_url("dashboard:overview", f"?company={company.public_id}&compare=previous"))
    expect(card(page, "Calls")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page("overview-data-phone")
    page.goto(live_url("dashboard:report", f"?company={company.public_id}&compare=previous", slug="source"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_page("report-source-phone")


def test_all_companies_on_the_overview(page, live_url, sign_in, check_page, manager_user, company, second_company):
    CallFactory(company=company, start_time=days_ago(company, 2))
    CallFactory(company=second_company, start_time=days_ago(second_company, 2))
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview"))
    expect(page.get_by_label("Company")).to_have_value("")
    expect(card(page, "Calls").locator("[data-kpi-value]")).to_have_text("2")
    page.get_by_label("Company").select_option(label="Alice Electric")
    expect(page).to_have_url(re.compile(f"company={second_company.public_id}"))
    expect(card(page, "Calls").locator("[data-kpi-value]")).to_have_text("1")
    check_page("overview-company")
