"""The dashboard's shell in a real browser: pages, company switcher, date range and
comparison in the URL, the back button, tenant and role walls, a phone, the keyboard."""

import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from callrail.dates import local_today
from dashboard.state import DashboardState
from dashboard.templatetags.dashboard import period
from dashboard.tests.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PAGES = {
    "overview": "Overview",
    "live": "Live",
    "calls": "Calls",
    "forms": "Forms",
    "texts": "Texts",
    "reports": "Reports",
}

# What is happening now, and an inbox: no period to pick.
PERIODLESS = ("live", "texts")


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def expected_period(query: str, tz: str) -> str:
    window, _ = DashboardState.from_query(dict(parse_qsl(query))).window(tz)
    return period(window)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_the_shell(page, live_url, sign_in, check_page, manager_user, name):
    sign_in(manager_user)
    page.goto(live_url(f"dashboard:{name}"))
    expect(page.get_by_role("heading", name=PAGES[name], level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=PAGES[name])).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_label("Company")).to_have_value("")  # all companies
    if name in PERIODLESS:
        expect(page.get_by_label("Date range")).to_have_count(0)
    else:
        expect(page.get_by_label("Date range")).to_have_value("last_30_days")
    expect(page.locator(".empty-state")).to_be_visible()
    check_page(name)


def test_navigation_keeps_the_company_and_period_but_not_the_page_s_filters(
    page, live_url, sign_in, manager_user, company
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:calls", f"?company={company.public_id}&date_range=yesterday&source=google&page=3"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page).to_have_url(live_url("dashboard:reports", f"?company={company.public_id}&date_range=yesterday"))


def test_the_company_switcher_keeps_the_rest_of_the_state(
    page, live_url, sign_in, check_page, manager_user, second_company
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:calls", "?date_range=last_7_days&compare=previous&source=google&page=2"))
    switcher = page.get_by_label("Company")
    expect(switcher.locator("option")).to_have_text(["All companies", "Alice Electric", "Alice Plumbing"])
    # No button to press: choosing submits.
    expect(page.get_by_role("button", name="Show")).to_be_hidden()

    switcher.select_option(label="Alice Electric")
    expect(page).to_have_url(re.compile(r"company="))
    assert sorted(query_of(page.url)) == sorted(
        [
            ("company", second_company.public_id),
            ("compare", "previous"),
            ("date_range", "last_7_days"),
            ("source", "google"),
        ]
    )
    expect(page.get_by_role("heading", name="Calls", level=1)).to_be_visible()
    # The company's own time zone now sets the days.
    expect(page.locator(".page-period")).to_contain_text("America/Los_Angeles")
    expect(page).to_have_title(re.compile(r"^Calls · Alice Electric"))
    check_page("calls-one-company")

    page.get_by_label("Company").select_option(label="All companies")
    expect(page).not_to_have_url(re.compile(r"company="))
    assert ("source", "google") in query_of(page.url)


def test_the_date_range_control_writes_the_url_and_the_back_button_returns(
    page, live_url, sign_in, check_page, manager_user
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview", "?source=google"))
    period_text = page.locator(".page-period")
    expect(period_text).to_contain_text(expected_period("", "America/New_York"))

    page.get_by_label("Date range").select_option(label="Last 7 days")
    expect(page).to_have_url(re.compile(r"date_range=last_7_days"))
    assert query_of(page.url) == [("source", "google"), ("date_range", "last_7_days")]
    expect(period_text).to_contain_text(expected_period("date_range=last_7_days", "America/New_York"))

    page.get_by_label("Compare with previous period").check()
    expect(page).to_have_url(re.compile(r"compare=previous"))
    week = DashboardState.from_query({"date_range": "last_7_days"}).window("America/New_York")[0]
    expect(period_text).to_contain_text(f"vs {period(week.previous())}")
    check_page("overview-compare")

    # Custom: the dates appear without a round trip, and apply with the button.
    expect(page.get_by_label("From")).to_be_hidden()
    page.get_by_label("Date range").select_option(label="Custom")
    today = local_today(ZoneInfo("America/New_York"))
    start, end = today - timedelta(days=20), today - timedelta(days=10)
    page.get_by_label("From").fill(start.isoformat())
    page.get_by_label("To", exact=True).fill(end.isoformat())
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"date_range=custom"))
    assert dict(query_of(page.url)) == {
        "source": "google",
        "date_range": "custom",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "compare": "previous",
    }
    expect(period_text).to_contain_text(
        expected_period(f"start_date={start.isoformat()}&end_date={end.isoformat()}", "America/New_York")
    )
    check_page("overview-custom-range")

    page.go_back()
    expect(page).to_have_url(re.compile(r"date_range=last_7_days&compare=previous$"))
    expect(page.get_by_label("Date range")).to_have_value("last_7_days")
    expect(page.get_by_label("Compare with previous period")).to_be_checked()
    page.go_back()
    expect(page).to_have_url(re.compile(r"\?source=google&date_range=last_7_days$"))
    expect(page.get_by_label("Compare with previous period")).not_to_be_checked()
    page.go_forward()
    expect(page.get_by_label("Compare with previous period")).to_be_checked()


def test_the_controls_work_without_javascript(browser, live_server, live_url, sign_in, manager_user, company):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        sign_in(manager_user, context)
        page.goto(live_url("dashboard:overview"))
        page.get_by_label("Company").select_option(label="Alice Plumbing")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(live_url("dashboard:overview", f"?company={company.public_id}"))

        page.get_by_label("Date range").select_option(label="Custom")
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(live_url("dashboard:overview", f"?company={company.public_id}&date_range=custom"))
        # The custom dates now show, filled with the period on screen.
        expect(page.get_by_label("From")).to_be_visible()
        today = local_today(ZoneInfo(company.time_zone))
        page.get_by_label("From").fill((today - timedelta(days=3)).isoformat())
        page.get_by_label("To", exact=True).fill(today.isoformat())
        page.get_by_role("button", name="Apply").click()
        expect(page).to_have_url(re.compile(rf"start_date={(today - timedelta(days=3)).isoformat()}"))
    finally:
        context.close()


def test_unreadable_state_shows_a_notice_not_an_error(page, live_url, sign_in, check_page, reporting_user):
    sign_in(reporting_user)
    response = page.goto(live_url("dashboard:overview", "?date_range=custom&start_date=2024-02-30&end_date=x"))
    assert response.status == 200
    expect(page.get_by_role("status")).to_contain_text("The custom dates could not be read")
    expect(page.get_by_label("Date range")).to_have_value("last_30_days")
    check_page("overview-notice")


def test_a_company_the_user_cannot_see_is_not_found(
    page, live_url, sign_in, check_page, reporting_user, second_company, other_company
):
    sign_in(reporting_user)
    for company in (second_company, other_company):
        response = page.goto(live_url("dashboard:calls", f"?company={company.public_id}"))
        assert response.status == 404
        expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    check_page("not-found")


def test_a_reporting_user_s_forged_post_is_forbidden(
    page, live_url, sign_in, check_page, settings, reporting_user, manager_user
):
    settings.ROOT_URLCONF = "dashboard.tests.urls"

    def forge_post() -> int:
        page.goto(live_url("test-editor-only"))
        # A form the page never offered, carrying the page's own CSRF token.
        with page.expect_navigation() as navigation:
            page.evaluate(
                """() => {
                    const form = document.createElement("form");
                    form.method = "post";
                    form.action = "/test/editor-only/";
                    const token = document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode();
                    form.append(token);
                    document.body.append(form);
                    form.submit();
                }"""
            )
        return navigation.value.status

    sign_in(reporting_user)
    assert forge_post() == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    check_page("forbidden")

    page.context.clear_cookies()
    sign_in(manager_user)
    assert forge_post() == 200


def test_on_a_phone_everything_is_reachable(page, live_url, sign_in, check_page, manager_user):
    page.set_viewport_size(PHONE)
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview"))
    # Nothing wider than the screen but the navigation, which scrolls sideways on its own.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Reports").scroll_into_view_if_needed()
    expect(nav.get_by_role("link", name="Reports")).to_be_in_viewport()
    expect(page.get_by_label("Company")).to_be_visible()
    expect(page.get_by_label("Date range")).to_be_visible()
    check_page("overview-phone")
    page.goto(live_url("dashboard:sign-in"))
    check_page("sign-in-phone")


def test_the_keyboard_reaches_everything_with_a_visible_focus(page, live_url, sign_in, manager_user):
    sign_in(manager_user)
    page.goto(live_url("dashboard:overview"))

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()

    def outline() -> str:
        return page.evaluate("getComputedStyle(document.activeElement).outlineStyle")

    # Brand, the user's menu, then the navigation: each shows where the focus is.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator("summary").first).to_be_focused()
    assert outline() == "solid"
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Overview")).to_be_focused()
    assert outline() == "solid"

    # The controls answer the keyboard too: the switch toggles with the space bar.
    page.get_by_label("Compare with previous period").focus()
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"compare=previous"))
