"""A call's page: what it shows, and the marketer's actions saved through the API's own
services (read back through the API, with the same ``call_modified`` webhook event), as plain
form POSTs and with htmx; the walls around it."""

import json
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from api.tests.factories import CallFactory
from dashboard.tests.calls_data import CALLER, full_call
from integrations.models import Integration, WebhookEvent
from telephony.models import Call, SimulatedCarrierRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(company):
    return full_call(company)


def detail_url(call, query=""):
    return reverse("dashboard:call-detail", args=[call.public_id]) + query


def action_url(call, action):
    return reverse("dashboard:call-action", args=[call.public_id, action])


def test_it_shows_the_call(client, manager_user, call):
    client.force_login(manager_user)
    response = client.get(detail_url(call))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Dana Whitfield</h1>" in body
    # The recording, through the one signed audio link.
    audio = re.search(r'<audio class="call-audio" controls preload="metadata" src="([^"]+)"', body).group(1)
    audio = audio.replace("&amp;", "&")
    assert audio.startswith(f"/calls/{call.public_id}/recording/redirect?access_key=")
    assert client.get(audio, HTTP_RANGE="bytes=0-99").status_code == 206
    assert "api.twilio.com" not in body
    # The visit: source, landing page, UTM and click ids, pages in order, the number shown.
    assert "Google Ads" in body and "water heater repair" in body
    assert "EAIaIQobChMI" in body and "utm_campaign" in body
    journey = body[body.index('id="journey-title"') :]
    assert journey.index("/water-heaters") < journey.index("/pricing") < journey.index("/contact")
    assert "(404) 555-0142" in body
    # The flow: the menu key, the tag step, who rang and who answered.
    assert "pressed 1" in body
    assert "tagged Sales" in body
    assert "(404) 555-0101" in body and "(404) 555-0102 (answered)" in body
    # The caller's history with the company.
    assert "2 to Alice Plumbing" in body
    assert "Is Thursday morning possible?" in body
    assert "Quote request" in body


def test_a_voicemail_shows_its_transcription(client, manager_user, company):
    voicemail = full_call(company, voicemail=True, answered=False, transcription="Please call me back about a leak.")
    client.force_login(manager_user)
    body = client.get(detail_url(voicemail)).content.decode()
    assert "Please call me back about a leak." in body
    assert 'id="recording-title">Voicemail<' in body


def test_the_back_link_returns_to_the_same_log(client, manager_user, call):
    client.force_login(manager_user)
    body = client.get(
        detail_url(call, "?date_range=last_7_days&answer_status=answered&sort=-duration")
    ).content.decode()
    assert (
        f'href="{reverse("dashboard:calls")}?date_range=last_7_days&amp;answer_status=answered&amp;sort=-duration"'
        in body
    )


def test_another_accounts_call_is_404(client, manager_user, other_company):
    foreign = CallFactory(company=other_company)
    client.force_login(manager_user)
    assert client.get(detail_url(foreign)).status_code == 404
    assert client.post(action_url(foreign, "lead"), {"lead_status": "good_lead"}).status_code == 404
    assert client.get(reverse("dashboard:call-detail", args=["CALnot-an-id"])).status_code == 404


def test_a_company_the_user_cannot_see_is_404(client, make_user, second_company, call):
    elsewhere = make_user(User.Role.MANAGER, second_company, email="elsewhere@example.com")
    client.force_login(elsewhere)
    assert client.get(detail_url(call)).status_code == 404


def test_a_reporting_user_reads_without_controls_and_cannot_post(client, reporting_user, call, other_company):
    client.force_login(reporting_user)
    body = client.get(detail_url(call)).content.decode()
    assert "Lead and notes" in body
    assert "<form" not in body.split('id="call-actions"')[1].split("</section>")[0]
    assert "Mark as spam" not in body and "Call back" not in body
    for action, data in (("lead", {"lead_status": "good_lead"}), ("tags", {"tags": ["VIP"]}), ("spam", {})):
        assert client.post(action_url(call, action), data).status_code == 403
    call.refresh_from_db()
    assert call.lead_status is None and not call.spam
    # Another account's call is 404 for them too: a 403 would confirm it exists.
    assert client.post(action_url(CallFactory(company=other_company), "lead")).status_code == 404


def test_the_forms_need_their_csrf_token(manager_user, call):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)
    assert client.post(action_url(call, "lead"), {"lead_status": "good_lead"}).status_code == 403


def test_actions_are_plain_posts_that_the_api_reads_back(client, api_client, manager_user, account, call):
    Integration.objects.create(
        account=account,
        company=call.company,
        type=Integration.Type.WEBHOOKS,
        config={"updated_call_webhook": ["https://hooks.example.com/updated"]},
    )
    client.force_login(manager_user)
    query = "?date_range=last_7_days"
    response = client.post(action_url(call, "tags") + query, {"tags": ["Existing"], "new_tags": "VIP, Spring promo"})
    assert response.status_code == 303
    assert response["Location"] == detail_url(call, query)
    marked = client.post(action_url(call, "lead"), {"lead_status": "good_lead"}, follow=True)
    assert "Marked as a good lead." in marked.content.decode()
    assert client.post(action_url(call, "value"), {"value": "$1,250.50"}).status_code == 303
    assert client.post(action_url(call, "note"), {"note": "Wants a quote for Thursday"}).status_code == 303

    api = api_client.get(
        f"/v3/a/{account.public_id}/calls/{call.public_id}.json?fields=tags,note,value,lead_status"
    ).json()
    assert sorted(api["tags"]) == ["Existing", "Spring promo", "VIP"]
    assert api["lead_status"] == "good_lead"
    assert api["value"] == 1250.5
    assert api["note"] == "Wants a quote for Thursday"
    # The same call_modified webhook as an API update, one per change, in order.
    events = WebhookEvent.objects.filter(event=WebhookEvent.Event.CALL_MODIFIED, ordering_key=call.public_id)
    changes = [json.loads(event.body)["changes"] for event in events.order_by("id")]
    assert changes == [["tags"], ["lead_status"], ["value"], ["note"]]


def test_a_change_that_is_refused_says_why(client, manager_user, call):
    client.force_login(manager_user)
    response = client.post(action_url(call, "value"), {"value": "lots"}, follow=True)
    assert "is not an amount" in response.content.decode()
    call.refresh_from_db()
    assert call.value is None


def test_with_htmx_an_action_answers_the_panel(client, manager_user, call):
    client.force_login(manager_user)
    response = client.post(action_url(call, "lead"), {"lead_status": "good_lead"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="call-actions"')
    assert "Marked as a good lead." in body
    assert 'id="call-badges" class="call-badges" hx-swap-oob="true"' in body
    assert 'aria-pressed="true"' in body


def test_marking_spam_takes_the_call_out_of_the_log(client, manager_user, call):
    client.force_login(manager_user)
    assert client.post(action_url(call, "spam")).status_code == 303
    call.refresh_from_db()
    assert call.spam
    log = client.get(reverse("dashboard:calls") + "?date_range=last_7_days").content.decode()
    assert call.public_id not in log
    assert "Marked as spam" in client.get(detail_url(call)).content.decode()


def test_call_back_places_an_outbound_call_through_the_api_service(client, manager_user, call):
    client.force_login(manager_user)
    response = client.post(action_url(call, "call-back"), {"business_phone_number": "(404) 555-0177"}, follow=True)
    assert "Calling (404) 555-0177 now" in response.content.decode()
    outbound = Call.objects.get(direction=Call.Direction.OUTBOUND)
    assert (outbound.customer_phone_number, outbound.business_phone_number) == (CALLER, "+14045550177")
    assert outbound.tracking_phone_number == call.tracking_phone_number
    assert outbound.agent == manager_user
    placed = SimulatedCarrierRequest.objects.get(action=SimulatedCarrierRequest.Action.PLACE_CALL)
    assert placed.payload["To"] == "+14045550177"


def test_call_back_to_a_bad_number_says_so(client, manager_user, call):
    client.force_login(manager_user)
    response = client.post(action_url(call, "call-back"), {"business_phone_number": "12"}, follow=True)
    assert response.status_code == 200
    assert not Call.objects.filter(direction=Call.Direction.OUTBOUND).exists()
    assert "alert-danger" in response.content.decode()


def test_unknown_actions_and_gets_are_refused(client, manager_user, call):
    client.force_login(manager_user)
    assert client.post(action_url(call, "delete")).status_code == 404
    assert client.get(action_url(call, "lead")).status_code == 405


def test_the_page_costs_a_fixed_number_of_queries(client, manager_user, call, django_assert_max_num_queries):
    client.force_login(manager_user)
    with django_assert_max_num_queries(15):
        assert client.get(detail_url(call)).status_code == 200


def test_the_recording_link_on_the_page_expires_like_the_accounts_links(client, manager_user, call, account):
    account.hipaa_account = True
    account.save()
    client.force_login(manager_user)
    body = client.get(detail_url(call)).content.decode()
    audio = re.search(r'src="(/calls/[^"]+/recording/redirect[^"]+)"', body).group(1).replace("&amp;", "&")
    expires = int(parse_qs(urlsplit(audio).query)["expires"][0])
    assert expires - time.time() <= 24 * 3600
