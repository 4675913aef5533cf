"""A call's page in a real browser: the recording loads and seeks (206 from the audio link);
a tag added with the autocomplete and a good lead marked are read back through the API, with
the ``call_modified`` webhook events recorded; the walls; a phone; without JavaScript."""

import json
import re

import pytest
from playwright.sync_api import expect

from api.tests.factories import CallFactory
from dashboard.tests.calls_data import full_call
from dashboard.tests.conftest import PHONE, SCREENSHOTS, axe_violations
from integrations.models import Integration, WebhookEvent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def call(company):
    return full_call(company)


@pytest.fixture
def webhooks(account, company):
    return Integration.objects.create(
        account=account,
        company=company,
        type=Integration.Type.WEBHOOKS,
        config={"updated_call_webhook": ["https://hooks.example.com/updated"]},
    )


def test_the_recording_loads_and_seeks(page, live_url, sign_in, check_page, manager_user, call):
    answers = []
    page.on("response", lambda response: "/recording/redirect" in response.url and answers.append(response.status))
    sign_in(manager_user)
    page.goto(live_url("dashboard:call-detail", call_id=call.public_id))
    expect(page.get_by_role("heading", name="Dana Whitfield", level=1)).to_be_visible()
    audio = page.locator("audio.call-audio")
    page.wait_for_function("a => a.readyState >= 1 && isFinite(a.duration)", arg=audio.element_handle())
    assert round(audio.evaluate("a => a.duration")) == call.recording_duration
    page.evaluate(
        """a => new Promise(done => { a.addEventListener("seeked", done, {once: true}); a.currentTime = 7.5; })""",
        audio.element_handle(),
    )
    assert abs(audio.evaluate("a => a.currentTime") - 7.5) < 0.5
    assert 206 in answers, answers
    check_page("call-detail")


def test_tagging_and_scoring_read_back_through_the_api(
    page, live_url, sign_in, check_page, manager_user, api_client, account, call, webhooks
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:call-detail", call_id=call.public_id))
    panel = page.locator("#call-actions")

    # A new tag, typed into the autocomplete and saved as soon as it is added.
    tags = panel.locator(".ts-control input")
    tags.fill("VIP customer")
    tags.press("Enter")
    expect(panel.get_by_role("status")).to_contain_text("Tags saved.")
    expect(page.locator("#call-badges")).to_contain_text("VIP customer")

    panel.get_by_role("button", name="Good lead").click()
    expect(panel.get_by_role("status")).to_contain_text("Marked as a good lead.")
    expect(panel.get_by_role("button", name="Good lead")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#call-badges")).to_contain_text("Good lead")

    panel.get_by_label("Value").fill("480")
    panel.get_by_role("button", name="Save value").click()
    expect(panel.get_by_role("status")).to_contain_text("Value saved.")
    check_page("call-detail-scored")

    body = api_client.get(f"/v3/a/{account.public_id}/calls/{call.public_id}.json?fields=tags,lead_status,value").json()
    assert body["tags"] == ["VIP customer"]
    assert body["lead_status"] == "good_lead"
    assert body["value"] == 480.0
    events = WebhookEvent.objects.filter(event=WebhookEvent.Event.CALL_MODIFIED, ordering_key=call.public_id)
    assert [json.loads(event.body)["changes"] for event in events.order_by("id")] == [
        ["tags"],
        ["lead_status"],
        ["value"],
    ]
    # Still there after a reload: the page shows what was saved, not what was typed.
    page.reload()
    expect(page.locator("#call-badges")).to_contain_text("VIP customer")


def test_call_back_and_spam(page, live_url, sign_in, manager_user, call):
    sign_in(manager_user)
    page.goto(live_url("dashboard:call-detail", call_id=call.public_id))
    page.get_by_label("Call back from your phone").fill("(404) 555-0177")
    page.get_by_role("button", name="Call back").click()
    expect(page.locator("#call-actions").get_by_role("status")).to_contain_text("Calling (404) 555-0177 now")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Mark as spam").click()
    expect(page.locator("#call-badges")).to_contain_text("Spam")
    expect(page.get_by_role("button", name="Mark as spam")).to_have_count(0)


def test_another_accounts_call_is_not_found(page, live_url, sign_in, manager_user, other_company):
    foreign = CallFactory(company=other_company, recording_url="https://api.twilio.com/RE9")
    sign_in(manager_user)
    response = page.goto(live_url("dashboard:call-detail", call_id=foreign.public_id))
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_a_reporting_user_reads_and_a_forged_post_is_forbidden(
    page, live_url, sign_in, check_page, reporting_user, call
):
    sign_in(reporting_user)
    page.goto(live_url("dashboard:call-detail", call_id=call.public_id))
    expect(page.get_by_role("heading", name="Lead and notes")).to_be_visible()
    expect(page.get_by_role("button", name="Good lead")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark as spam")).to_have_count(0)
    check_page("call-detail-reporting")
    # A form the page never offered, with the page's own CSRF token (from the sign-out form).
    status = page.evaluate(
        """async (url) => {
            const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
            const body = new URLSearchParams({csrfmiddlewaretoken: token, lead_status: "good_lead"});
            const response = await fetch(url, {method: "POST", body});
            return response.status;
        }""",
        f"/calls/{call.public_id}/lead/",
    )
    assert status == 403
    call.refresh_from_db()
    assert call.lead_status is None


def test_on_a_phone(browser, live_server, live_url, sign_in, manager_user, call, browser_log):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: browser_log.errors.append(f"script error: {error}"))
        sign_in(manager_user, context)
        page.goto(live_url("dashboard:call-detail", call_id=call.public_id))
        expect(page.locator("audio.call-audio")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.screenshot(
            path=str(SCREENSHOTS / "call-detail-phone.png"),
            full_page=True,
            clip={"x": 0, "y": 0, "width": PHONE["width"], "height": 1700},
        )
        assert axe_violations(page) == []
        browser_log.assert_clean()
    finally:
        context.close()


def test_the_actions_work_without_javascript(browser, live_server, live_url, sign_in, manager_user, call):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        sign_in(manager_user, context)
        page.goto(live_url("dashboard:call-detail", "?date_range=last_7_days", call_id=call.public_id))
        page.get_by_label("New tags, separated by commas").fill("Spring promo, Follow up")
        page.get_by_role("button", name="Save tags").click()
        expect(page).to_have_url(re.compile(rf"/calls/{call.public_id}/\?date_range=last_7_days$"))
        expect(page.get_by_role("status").first).to_contain_text("Tags saved.")
        expect(page.locator("#call-badges")).to_contain_text("Follow up")
        page.get_by_role("button", name="Not a lead").click()
        expect(page.locator("#call-badges")).to_contain_text("Not a lead")
        page.get_by_label("Note").fill("Asked about a tankless heater")
        page.get_by_role("button", name="Save note").click()
        expect(page.get_by_label("Note")).to_have_value("Asked about a tankless heater")
    finally:
        context.close()
