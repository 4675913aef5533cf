"""Live, Texts and Forms in a real browser: the live view follows a call placed through the
Twilio webhooks while it is open (no reload), its feed answers 304 while nothing changes and
slows down in a hidden tab; a conversation is answered and the API has the reply; a reporting
user cannot answer; the forms list filters as the API does; each page on a desktop and a phone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from api.tests.factories import FormSubmissionFactory
from dashboard.tests.conftest import PHONE
from telephony.call_simulator import CallSimulator
from telephony.models import TextMessage
from telephony.services.texts import text_message_receive
from telephony.tests.test_text_messages import sms_params
from tracking.tests.factories import TrackerFactory, TrackingNumberFactory, dni_config, session_tracker
from tracking.visits import VisitReport, visit_report

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CALLER = "+13035550142"


@pytest.fixture
def webhooks(settings, live_server):
    """Twilio's requests (signed for PUBLIC_BASE_URL) reach the live server."""
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server.url


@pytest.fixture
def pool(company):
    return session_tracker(company=company, size=3, name="Website visitors")


def feed_responses(page):
    seen = []
    page.on("response", lambda response: seen.append(response.status) if "/live/feed/" in response.url else None)
    return seen


def test_the_live_view_follows_a_call_without_a_reload(
    page, live_url, sign_in, check_page, webhooks, manager_user, company, pool
):
    url = "http://www.alice-plumbing.example/?utm_source=google&utm_medium=cpc&gclid=G1"
    visit_report(
        dni_config(company),
        VisitReport(visitor_id="v-live", session_key="live-visit", page_url=url, landing_url=url, first_contact=True),
    )
    number = pool.numbers.order_by("number").first().number
    ringing = CallSimulator(base_url=webhooks, to=number, from_=CALLER, caller_name="Rita Ringer")
    # Only the first request: the phone is ringing, nobody answered yet.
    ringing.post(f"{webhooks}/telephony/twilio/voice", ringing.call_params("ringing"))
    statuses = feed_responses(page)
    sign_in(manager_user)

    page.goto(live_url("dashboard:live"))
    calls_now = page.get_by_role("region", name="On the phone now")
    expect(calls_now.get_by_role("row", name=re.compile("Rita Ringer"))).to_contain_text("Ringing")
    expect(page).to_have_title(re.compile(r"^\(1\) Live"))
    expect(page.get_by_role("region", name="Number pools")).to_contain_text("1 of 3 numbers in use")
    expect(page.get_by_role("region", name="Visitors now")).to_contain_text("Google Ads")
    page.evaluate("window.stillTheSamePage = true")

    # Nothing changes: the feed answers 304.
    page.wait_for_timeout(7000)
    assert statuses and set(statuses) == {304}, statuses

    # The ringing call ends, and another caller gets through while the page is open.
    ringing.call.final_status = "no-answer"
    ringing.hang_up()
    CallSimulator(base_url=webhooks, to=number, from_="+13035550143", caller_name="Olga Answered", duration=75).run()

    latest = page.get_by_role("region", name="Latest calls")
    expect(latest.get_by_role("row", name=re.compile("Olga Answered"))).to_contain_text("Answered", timeout=15_000)
    expect(latest.get_by_role("row", name=re.compile("Rita Ringer"))).to_contain_text("Missed")
    expect(calls_now).to_contain_text("No call is ringing or in progress.")
    expect(page).to_have_title(re.compile(r"^Live"))
    assert page.evaluate("window.stillTheSamePage") is True
    assert 200 in statuses
    check_page("live")

    page.set_viewport_size(PHONE)
    check_page("live-phone")


def test_a_hidden_tab_polls_slowly(page, live_url, sign_in, manager_user, company, pool):
    sign_in(manager_user)
    page.goto(live_url("dashboard:live"))
    statuses = feed_responses(page)
    page.wait_for_timeout(4000)
    assert statuses, "a visible tab polls every few seconds"
    page.evaluate(
        """() => {
            Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(500)
    before = len(statuses)
    page.wait_for_timeout(8000)
    assert len(statuses) == before, "a hidden tab waits a minute between polls"
    page.evaluate(
        """() => {
            Object.defineProperty(document, "visibilityState", { value: "visible", configurable: true });
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    page.wait_for_timeout(1500)
    assert len(statuses) > before, "showing the tab again polls at once"


@pytest.fixture
def conversation(company):
    TrackingNumberFactory(tracker=TrackerFactory(company=company, sms_enabled=True), number="+14705550111")
    message = text_message_receive(
        params=sms_params("Is anyone free to look at a leaking boiler?", to="+14705550111", from_=CALLER)
    )
    return message.conversation


def test_an_editor_answers_a_conversation(
    page, live_url, sign_in, check_page, api_client, account, manager_user, conversation
):
    sign_in(manager_user)
    page.goto(live_url("dashboard:texts"))
    row = page.get_by_role("listitem").filter(has_text="leaking boiler")
    expect(row).to_contain_text("Needs a reply")
    check_page("texts")

    row.get_by_role("link", name="(303) 555-0142").click()
    expect(page.get_by_role("heading", name="(303) 555-0142", level=1)).to_be_visible()
    page.get_by_label("Reply").fill("Yes, we can come by at 3 pm.")
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_role("status")).to_contain_text("Text sent.")
    thread = page.get_by_role("list", name="Messages")
    expect(thread.get_by_role("listitem").last).to_contain_text("Yes, we can come by at 3 pm.")
    reply = TextMessage.objects.get(direction="outgoing")
    assert reply.user == manager_user
    body = api_client.get(f"/v3/a/{account.public_id}/text-messages/{conversation.public_id}.json").json()
    assert body["messages"][0]["content"] == reply.content
    check_page("text-conversation")
    page.set_viewport_size(PHONE)
    check_page("text-conversation-phone")


def test_a_reporting_user_reads_a_conversation_but_cannot_answer(
    page, live_url, sign_in, check_page, reporting_user, conversation
):
    sign_in(reporting_user)
    page.goto(live_url("dashboard:text-conversation", conversation_id=conversation.public_id))
    expect(page.get_by_text("Is anyone free to look at a leaking boiler?")).to_be_visible()
    expect(page.get_by_label("Reply")).to_have_count(0)
    expect(page.get_by_role("button", name="Send")).to_have_count(0)
    # A reply forged with the page's own CSRF token (the user menu's form carries one).
    with page.expect_navigation() as navigation:
        page.evaluate(
            """() => {
                const form = document.createElement("form");
                form.method = "post";
                form.action = window.location.pathname;
                form.append(document.querySelector("input[name=csrfmiddlewaretoken]").cloneNode());
                const content = document.createElement("input");
                content.name = "content";
                content.value = "Forged";
                form.append(content);
                document.body.append(form);
                form.submit();
            }"""
        )
    assert navigation.value.status == 403
    assert not TextMessage.objects.filter(direction="outgoing").exists()
    page.goto(live_url("dashboard:text-conversation", conversation_id=conversation.public_id))
    check_page("text-conversation-reporting")


def test_the_forms_list_filters_as_the_api_does(
    page, live_url, sign_in, check_page, api_client, account, admin_user, company
):
    now = timezone.now()
    for days, lead_status, name in (
        (1, "good_lead", "Gina Good"),
        (2, None, "Nora None"),
        (3, "good_lead", "Gus Good"),
    ):
        FormSubmissionFactory(
            company=company,
            lead_status=lead_status,
            customer_name=name,
            submitted_at=now - timedelta(days=days),
            form_data={"name": name, "service": "Boiler"},
        )
    sign_in(admin_user)
    page.goto(live_url("dashboard:forms"))
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(4)
    check_page("forms")

    page.get_by_label("Lead status").select_option(label="Good lead")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile("lead_status=good_lead"))
    expect(table.get_by_role("row")).to_have_count(3)
    shown = [
        re.search(r"/forms/(FOR\w+)/", link.get_attribute("href")).group(1) for link in table.get_by_role("link").all()
    ]
    api = api_client.get(
        f"/v3/a/{account.public_id}/form_submissions.json",
        {"date_range": "last_30_days", "lead_status": "good_lead", "time_zone": admin_user.effective_time_zone},
    ).json()["form_submissions"]
    assert shown == [row["id"] for row in api]
    assert [row["customer_name"] for row in api] == ["Gina Good", "Gus Good"]

    page.get_by_role("link", name="Gina Good").click()
    expect(page.get_by_role("heading", name="Gina Good", level=1)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Service"))).to_contain_text("Boiler")
    check_page("form-submission")
    page.goto(live_url("dashboard:forms"))
    page.set_viewport_size(PHONE)
    check_page("forms-phone")
