from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from telephony import signals
from telephony.models import Call, OutboundCallerId, SimulatedCarrierRequest
from telephony.services.outbound import outbound_call_start
from telephony.tests.conftest import assert_twiml, base
from tracking.tests.factories import TrackerFactory, TrackingNumberFactory

CUSTOMER = "+13035550123"
BUSINESS = "+14045551234"


@pytest.fixture
def caller_id(company):
    return TrackingNumberFactory(tracker=TrackerFactory(company=company), number="+14705550111")


def start(account, company, **kwargs):
    options: dict[str, Any] = {
        "caller_id": "+14705550111",
        "customer_phone_number": CUSTOMER,
        "business_phone_number": BUSINESS,
    }
    options.update(kwargs)
    return outbound_call_start(account=account, company=company, **options)


def test_it_rings_the_business_phone_first(account, company, caller_id, admin_user):
    call = start(account, company, customer_phone_number="(303) 555-0123", agent=admin_user)
    assert (call.direction, call.status, call.answered, call.duration) == ("outbound", "queued", None, None)
    assert (call.tracking_phone_number, call.customer_phone_number, call.business_phone_number) == (
        "+14705550111",
        CUSTOMER,
        BUSINESS,
    )
    assert call.tracker == caller_id.tracker
    assert call.agent == admin_user
    assert call.person.phone_number == CUSTOMER
    placed = SimulatedCarrierRequest.objects.get(action="place_call")
    assert placed.sid == call.call_sid
    assert placed.payload == {
        "To": BUSINESS,
        "From": "+14705550111",
        "Url": f"{base('/telephony/twilio/outbound')}?call={call.public_id}",
        "StatusCallback": f"{base('/telephony/twilio/status')}?call={call.public_id}",
    }


def test_a_verified_outbound_caller_id_may_be_used(account, company):
    OutboundCallerId.objects.create(
        account=account, company=company, phone_number="+14045550177", name="Main", verified=True
    )
    call = start(account, company, caller_id="+14045550177")
    assert call.tracker is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"caller_id": "+14045550178"}, "caller_id must be a tracking number"),
        ({"customer_phone_number": "+442071838750"}, "customer_phone_number must be a valid US or Canadian"),
        ({"business_phone_number": ""}, "business_phone_number is required"),
        ({"outbound_greeting_recording_url": "file:///etc/passwd"}, "http"),
    ],
)
def test_bad_requests_are_refused_without_calling_anyone(account, company, caller_id, kwargs, message):
    OutboundCallerId.objects.create(
        account=account, company=company, phone_number="+14045550178", name="Unverified", verified=False
    )
    with pytest.raises(ValidationError, match=message):
        start(account, company, **kwargs)
    assert not SimulatedCarrierRequest.objects.filter(action="place_call").exists()
    assert not Call.objects.exists()


def test_another_companys_number_is_not_a_caller_id(account, company, other_company, other_account):
    TrackingNumberFactory(tracker=TrackerFactory(company=other_company), number="+14705550122")
    with pytest.raises(ValidationError):
        start(account, company, caller_id="+14705550122")
    with pytest.raises(ValidationError, match="does not belong"):
        start(other_account, company)


def test_when_the_business_answers_the_customer_is_dialled(twilio_post, account, company, caller_id):
    call = start(account, company, outbound_greeting_text="Hello from Alice Plumbing.")
    params = {
        "AccountSid": "AC" + "0" * 32,
        "ApiVersion": "2010-04-01",
        "CallSid": call.call_sid,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        "From": "+14705550111",
        "To": BUSINESS,
    }
    response = twilio_post(f"/telephony/twilio/outbound?call={call.public_id}", params)
    cid = call.public_id
    assert_twiml(
        response,
        f'<Response><Dial action="{base("/telephony/twilio/flow")}?call={cid}&amp;event=outbound"'
        ' answerOnBridge="true" callerId="+14705550111" record="record-from-answer-dual"'
        f' recordingStatusCallback="{base("/telephony/twilio/recording")}?call={cid}&amp;kind=call"'
        ' recordingStatusCallbackEvent="completed absent">'
        f'<Number statusCallback="{base("/telephony/twilio/dial-status")}?call={cid}"'
        ' statusCallbackEvent="answered completed"'
        f' url="{base("/telephony/twilio/whisper")}?call={cid}&amp;leg=customer">{CUSTOMER}</Number>'
        "</Dial></Response>",
    )
    greeting = twilio_post(
        f"/telephony/twilio/whisper?call={cid}&leg=customer",
        {**params, "CallSid": "CA" + "5" * 32, "ParentCallSid": call.call_sid, "To": CUSTOMER},
    )
    assert_twiml(greeting, "<Response><Say>Hello from Alice Plumbing.</Say></Response>")

    completed = mock.Mock()
    signals.call_completed.connect(completed)
    try:
        done = twilio_post(
            f"/telephony/twilio/flow?call={cid}&event=outbound", {**params, "DialCallStatus": "no-answer"}
        )
        assert_twiml(done, "<Response><Hangup/></Response>")
        twilio_post(f"/telephony/twilio/status?call={cid}", {**params, "CallStatus": "completed", "CallDuration": "31"})
    finally:
        signals.call_completed.disconnect(completed)
    call.refresh_from_db()
    assert (call.status, call.duration, call.answered, call.call_type) == ("completed", 31, False, "outbound")
    assert completed.call_count == 1


def test_recording_follows_the_request_then_the_account(twilio_post, account, company, caller_id):
    account.outbound_recording_enabled = False
    account.save()
    quiet = start(account, company)
    loud = start(account, company, recording_enabled=True)
    params = {"CallSid": quiet.call_sid, "CallStatus": "in-progress", "Direction": "outbound-api"}
    assert b"record=" not in twilio_post(f"/telephony/twilio/outbound?call={quiet.public_id}", params).content
    params["CallSid"] = loud.call_sid
    assert b"record=" in twilio_post(f"/telephony/twilio/outbound?call={loud.public_id}", params).content
