"""Webhooks through the real flows: Twilio's signed callbacks, the v3 API and the form
capture endpoint record events; only the Celery task posts them."""

from unittest import mock

import pytest

from accounts.models import Company
from integrations import tasks
from integrations.models import WebhookEvent
from integrations.tests.conftest import ALL_CONFIG_KEYS, Answer, ReceivedRequest, webhooks_integration
from integrations.webhooks.payloads import CALL_KEYS, FORM_KEYS, TEXT_RECEIVED_KEYS, TEXT_SENT_KEYS
from integrations.webhooks.signing import signature_valid
from telephony.models import Call, SimulatedCarrierRequest
from telephony.tests.conftest import voice_params
from tracking.models import CallFlow, Tracker, TrackingNumber

# Real commits: each request's transaction commits and its on-commit hooks run, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

VOICE = "/telephony/twilio/voice"
BUSINESS = "+14045551234"
CUSTOMER = "+13035550123"
NUMBER = "+14705550111"


@pytest.fixture
def number(company: Company) -> TrackingNumber:
    flow = CallFlow.objects.create(
        account=company.account,
        company=company,
        definition={"type": "basic", "destination_number": BUSINESS, "recording_enabled": False},
    )
    tracker = Tracker.objects.create(
        account=company.account,
        company=company,
        name="Billboard",
        type=Tracker.Type.SOURCE,
        call_flow=flow,
        source={"type": "offline"},
        sms_enabled=True,
    )
    return TrackingNumber.objects.create(account=company.account, tracker=tracker, number=NUMBER)


@pytest.fixture
def every_event(company, receiver):
    return webhooks_integration(company, {key: [receiver.url(f"/{key}")] for key in ALL_CONFIG_KEYS})


@pytest.fixture
def enqueued():
    """Celery's side of the outbox: the event ids handed to the delivery task, in order."""
    pks: list[int] = []
    with mock.patch.object(tasks.webhook_event_deliver, "apply_async", side_effect=lambda args, **kw: pks.extend(args)):
        yield pks


def run_worker(pks: list[int]) -> None:
    """What the Celery worker does with the enqueued messages."""
    while pks:
        tasks.webhook_event_deliver(pks.pop(0))


def assert_signed(request: ReceivedRequest, company: Company) -> None:
    company.refresh_from_db()
    assert signature_valid(key=company.webhook_signing_key, body=request.body, candidate=request.headers["Signature"])


def test_a_phone_call_sends_its_webhooks_in_order(
    twilio_post, api_client, account, company, number, every_event, receiver, enqueued
):
    params = voice_params(to=NUMBER, from_=CUSTOMER)
    response = twilio_post(VOICE, params)
    assert response.status_code == 200 and b"<Dial" in response.content
    # The TwiML went back before anything was posted: the event waits in the outbox.
    assert receiver.requests == []
    call = Call.objects.get(call_sid=params["CallSid"])
    assert WebhookEvent.objects.get().event == "pre_call"

    leg = {**params, "CallSid": "CA" + "7" * 32, "ParentCallSid": params["CallSid"], "To": BUSINESS}
    twilio_post(f"/telephony/twilio/dial-status?call={call.public_id}", {**leg, "CallStatus": "in-progress"})
    twilio_post("/telephony/twilio/status", {**params, "CallStatus": "completed", "CallDuration": "42"})
    update = api_client.put(
        f"/v3/a/{account.public_id}/calls/{call.public_id}.json", {"note": "Wants a quote"}, format="json"
    )
    assert update.status_code == 200
    assert receiver.requests == []

    run_worker(enqueued)
    assert [request.path for request in receiver.requests] == [
        "/pre_call_webhook",
        "/answered_call_webhook",
        "/post_call_webhook",
        "/updated_call_webhook",
    ]
    for request in receiver.requests:
        assert_signed(request, company)
        assert request.json()["id"] == call.numeric_id
    pre, routed, post, modified = (request.json() for request in receiver.requests)
    assert list(pre) == list(routed) == list(post) == list(CALL_KEYS)
    assert list(modified) == [*CALL_KEYS, "changes"]
    assert (pre["answered"], pre["duration"], pre["call_type"]) == (False, "", "in_progress")
    assert routed["answered"] is True
    assert (post["duration"], post["call_type"], post["customer_phone_number"]) == ("42", "answered", CUSTOMER)
    assert (modified["note"], modified["changes"]) == ("Wants a quote", ["note"])


def test_a_receiver_that_never_answers_does_not_hold_up_the_call(
    twilio_post, company, number, receiver, settings, enqueued
):
    webhooks_integration(company, {"pre_call_webhook": [receiver.url()]})
    receiver.default = Answer(hang=30)  # held until the test ends
    settings.WEBHOOKS_TIMEOUT = 0.5

    response = twilio_post(VOICE, voice_params(to=NUMBER))
    assert response.status_code == 200 and b"<Dial" in response.content
    assert receiver.requests == [] and len(enqueued) == 1

    run_worker(enqueued)  # the worker waits for the receiver, up to the timeout
    event = WebhookEvent.objects.get()
    assert len(receiver.requests) == 1
    assert event.state == "pending" and event.attempts == 1 and "Timeout" in event.last_error


def test_texts_in_and_out(twilio_post, api_client, account, company, number, every_event, receiver, enqueued):
    incoming = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "Body": "Do you fix water heaters?",
        "From": CUSTOMER,
        "FromCity": "DENVER",
        "FromCountry": "US",
        "FromState": "CO",
        "FromZip": "80202",
        "MessageSid": "SM" + "a" * 32,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": "SM" + "a" * 32,
        "SmsSid": "SM" + "a" * 32,
        "SmsStatus": "received",
        "To": NUMBER,
        "ToCity": "",
        "ToCountry": "US",
        "ToState": "GA",
        "ToZip": "",
    }
    assert twilio_post("/telephony/twilio/sms", incoming).status_code == 200
    sent = api_client.post(
        f"/v3/a/{account.public_id}/text-messages.json",
        {"company_id": company.public_id, "customer_phone_number": CUSTOMER, "content": "Yes we do!"},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert receiver.requests == []

    run_worker(enqueued)
    received_request, sent_request = receiver.requests
    assert (received_request.path, sent_request.path) == ("/sms_received_webhook", "/sms_sent_webhook")
    for request in receiver.requests:
        assert_signed(request, company)
    received, sent_payload = received_request.json(), sent_request.json()
    assert list(received) == list(TEXT_RECEIVED_KEYS) and list(sent_payload) == list(TEXT_SENT_KEYS)
    assert (received["source_number"], received["destination_number"]) == ("303-555-0123", "470-555-0111")
    assert received["content"] == "Do you fix water heaters?"
    assert (sent_payload["source_number"], sent_payload["destination_number"]) == ("470-555-0111", "303-555-0123")
    assert sent_payload["content"].startswith("Yes we do!")
    assert sent_payload["agent"] == "Alice"
    assert received["conversation_id"] == sent_payload["conversation_id"]


def test_an_outbound_call(twilio_post, api_client, account, company, number, every_event, receiver, enqueued):
    response = api_client.post(
        f"/v3/a/{account.public_id}/calls.json",
        {"caller_id": NUMBER, "customer_phone_number": CUSTOMER, "business_phone_number": BUSINESS},
        format="json",
    )
    assert response.status_code == 201, response.content
    call = Call.objects.get(public_id=response.json()["id"])
    placed = SimulatedCarrierRequest.objects.get(action="place_call")
    status = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": call.call_sid,
        "CallStatus": "completed",
        "CallDuration": "61",
        "Direction": "outbound-api",
        "From": NUMBER,
        "To": BUSINESS,
    }
    assert twilio_post(placed.payload["StatusCallback"], status).status_code in (200, 204)
    api_client.put(f"/v3/a/{account.public_id}/calls/{call.public_id}.json", {"tags": ["Sales"]}, format="json")

    run_worker(enqueued)
    assert [request.path for request in receiver.requests] == [
        "/post_outbound_call_webhook",
        "/updated_outbound_call_webhook",
    ]
    post, modified = (request.json() for request in receiver.requests)
    assert (post["direction"], post["call_type"], post["duration"]) == ("outbound", "outbound", "61")
    assert list(post) == list(CALL_KEYS)
    assert modified["changes"] == ["tags"] and modified["tags"] == ["Sales"]


def test_a_form_submitted_through_the_api(api_client, account, company, every_event, receiver, enqueued):
    response = api_client.post(
        f"/v3/a/{account.public_id}/form_submissions.json",
        {
            "company_id": company.public_id,
            "referrer": "direct",
            "referring_url": "https://www.google.com/",
            "landing_page_url": "https://example.com/",
            "form_url": "https://example.com/contact",
            "form_data": {"name": "Jane Doe", "phone": "404-555-0199", "message": "Leaking tap"},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    run_worker(enqueued)
    (request,) = receiver.requests
    assert request.path == "/form_captured_webhook"
    assert_signed(request, company)
    payload = request.json()
    assert list(payload) == list(FORM_KEYS)
    assert payload["form_data"]["message"] == "Leaking tap"
    assert payload["form_url"] == "https://example.com/contact"
