"""The call log in a real browser: filters, search, sort, pages and the CSV export give the
calls the API gives for the same question; recordings play inline and seek; a phone."""

import csv
import io
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from dashboard.tests.calls_data import seed_call_log
from dashboard.tests.conftest import PHONE, SCREENSHOTS, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TZ = "time_zone=America/New_York"
# The top of a long page on a phone: what a person sees first, and the first rows.
PHONE_TOP = {"x": 0, "y": 0, "width": PHONE["width"], "height": 1700}


@pytest.fixture
def calls(company, second_company):
    return seed_call_log(company, second_company)


def shown_ids(page):
    return page.locator("tr[data-call-id]").evaluate_all("rows => rows.map(row => row.dataset.callId)")


def api_ids(api_client, account, query):
    ids, url = [], f"/v3/a/{account.public_id}/calls.json?relative_pagination=true&per_page=250&{TZ}&{query}"
    while url:
        body = api_client.get(url).json()
        ids += [row["id"] for row in body["calls"]]
        url = body["next_page"].replace("http://testserver", "") if body["next_page"] else None
    return ids


def query_of(url):
    return dict(parse_qsl(urlsplit(url).query))


def test_filters_search_sort_pages_and_export_agree_with_the_api(
    page, live_url, sign_in, check_page, manager_user, api_client, account, calls
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:calls", "?date_range=last_30_days"))
    expect(page.get_by_role("heading", name="Calls", level=1)).to_be_visible()
    assert shown_ids(page) == api_ids(api_client, account, "date_range=last_30_days")[:25]
    check_page("calls")

    # Sorting by duration: shortest first, then longest first on the second click.
    page.get_by_role("link", name=re.compile("^Duration")).click()
    expect(page).to_have_url(re.compile(r"sort=duration"))
    page.get_by_role("link", name=re.compile("^Duration")).click()
    expect(page).to_have_url(re.compile(r"sort=-duration"))
    expect(page.get_by_role("columnheader", name=re.compile("^Duration"))).to_have_attribute("aria-sort", "descending")
    everything = api_ids(api_client, account, "date_range=last_30_days&sort=duration&order=desc")
    assert len(everything) > 25

    # Pages by keyset: forward to the end and back, in the API's order.
    seen = shown_ids(page)
    while page.get_by_role("link", name="Next").count():
        page.get_by_role("link", name="Next").click()
        expect(page.locator(".pager-where")).to_contain_text(f"calls {len(seen) + 1}–")
        seen += shown_ids(page)
    assert seen == everything
    page.get_by_role("link", name="Previous").click()
    expect(page.locator(".pager-where")).to_contain_text("Page 1")
    assert shown_ids(page) == everything[:25]

    # A filter from the form, then a search: the URL carries both, in the API's names.
    page.get_by_label("Status", exact=True).select_option(label="Answered")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"answer_status=answered"))
    page.get_by_role("searchbox", name="Search").fill("decatur")
    page.get_by_role("searchbox", name="Search").press("Enter")
    expect(page).to_have_url(re.compile(r"search=decatur"))
    assert query_of(page.url) == {
        "date_range": "last_30_days",
        "sort": "-duration",
        "answer_status": "answered",
        "search": "decatur",
    }
    question = "date_range=last_30_days&answer_status=answered&search=decatur&sort=duration&order=desc"
    expected = api_ids(api_client, account, question)
    assert expected and shown_ids(page) == expected[:25]
    expect(page.get_by_role("list", name="Active filters").get_by_role("link")).to_have_count(2)
    check_page("calls-filtered")

    # The export has exactly the filtered rows, in the page's order.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8") as exported:
        assert [row["id"] for row in csv.DictReader(io.StringIO(exported.read()))] == expected

    # A chip removes its one filter.
    page.get_by_role("link", name="Remove the filter Search: decatur").click()
    expect(page).not_to_have_url(re.compile(r"search="))
    assert query_of(page.url)["answer_status"] == "answered"


def test_more_filters_and_tags(page, live_url, sign_in, check_page, manager_user, api_client, account, calls):
    sign_in(manager_user)
    page.goto(live_url("dashboard:calls", "?date_range=last_30_days"))
    page.get_by_text("More filters").click()
    # The tags filter autocompletes (tom-select).
    tags = page.locator(".filter-tags .ts-control input")
    tags.fill("sal")
    page.locator(".ts-dropdown").get_by_role("option", name="Sales").click()
    page.get_by_label("First-time callers").select_option(label="Repeat callers only")
    page.get_by_label("Recording", exact=True).select_option(label="With a recording")
    page.get_by_label("At least (seconds)").fill("30")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"tags=Sales"))
    assert query_of(page.url) == {
        "date_range": "last_30_days",
        "tags": "Sales",
        "first_time_callers": "false",
        "has_recording": "true",
        "min_duration": "30",
    }
    expected = api_ids(
        api_client,
        account,
        "date_range=last_30_days&tags=Sales&first_time_callers=false&has_recording=true&min_duration=30",
    )
    assert expected and shown_ids(page) == expected
    expect(page.locator("details.more-filters")).to_have_attribute("open", "")
    check_page("calls-more-filters")


def test_a_recording_plays_inline_and_seeks(page, live_url, sign_in, manager_user, calls):
    answers = []
    page.on("response", lambda response: "/recording/redirect" in response.url and answers.append(response.status))
    sign_in(manager_user)
    page.goto(live_url("dashboard:calls", "?date_range=last_30_days&has_recording=true"))
    first = page.locator("tr[data-call-id]").first
    first.get_by_role("button", name=re.compile("^Play the recording")).click()
    player = page.locator("[data-player]")
    expect(player).to_be_visible()
    expect(first.get_by_role("button", name=re.compile("^Play the recording"))).to_have_attribute(
        "aria-pressed", "true"
    )
    audio = player.locator("audio")
    page.wait_for_function(
        "a => a.readyState >= 1 && isFinite(a.duration) && a.duration > 5", arg=audio.element_handle()
    )
    page.evaluate(
        """a => new Promise(done => { a.addEventListener("seeked", done, {once: true}); a.currentTime = 4; })""",
        audio.element_handle(),
    )
    assert abs(audio.evaluate("a => a.currentTime") - 4) < 0.5
    assert 206 in answers
    # Pressed again, it pauses.
    first.get_by_role("button", name=re.compile("^Play the recording")).click()
    expect(first.get_by_role("button", name=re.compile("^Play the recording"))).to_have_attribute(
        "aria-pressed", "false"
    )
    page.get_by_role("button", name="Close the player").click()
    expect(player).to_be_hidden()


def test_on_a_phone(browser, live_server, live_url, sign_in, manager_user, calls, browser_log):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: browser_log.errors.append(f"script error: {error}"))
        sign_in(manager_user, context)
        page.goto(live_url("dashboard:calls", "?date_range=last_30_days"))
        first = page.locator("tr[data-call-id]").first
        expect(first.locator(".caller-name")).to_be_visible()
        # No sideways scrolling: every row fits the screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(path=str(SCREENSHOTS / "calls-phone.png"), full_page=True, clip=PHONE_TOP)
        assert axe_violations(page) == []
        browser_log.assert_clean()
    finally:
        context.close()


def test_the_filters_work_without_javascript(browser, live_server, live_url, sign_in, manager_user, calls):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        sign_in(manager_user, context)
        page.goto(live_url("dashboard:calls", "?date_range=last_30_days"))
        page.get_by_label("Lead status").select_option(label="Good lead")
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"lead_status=good_lead"))
        assert page.locator("tr[data-call-id]").count() > 0
        # Without the script a play button is a link to the audio itself.
        href = page.locator("a[data-play]").first.get_attribute("href")
        assert "/recording/redirect?access_key=" in href
    finally:
        context.close()
