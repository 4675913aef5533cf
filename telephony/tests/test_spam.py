from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Company
from telephony import signals
from telephony.models import Call
from telephony.services.edits import call_update
from telephony.tests.conftest import assert_twiml, base, voice_params
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory

VOICE = "/telephony/twilio/voice"
SPAMMER = "+12025550143"


def make_number(company):
    flow = CallFlowFactory(
        company=company, definition={"type": "basic", "destination_number": "+14045551234", "recording_enabled": False}
    )
    return TrackingNumberFactory(tracker=TrackerFactory(company=company, call_flow=flow))


def ring(twilio_post, number, from_=SPAMMER):
    params = voice_params(to=number.number, from_=from_)
    return twilio_post(VOICE, params), params


@pytest.fixture
def marked(twilio_post, company):
    number = make_number(company)
    ring(twilio_post, number)
    call_update(call=Call.objects.get(), changes={"spam": True})
    return number


def test_a_caller_marked_spam_is_challenged(twilio_post, company, marked):
    started = mock.Mock()
    signals.call_started.connect(started)
    try:
        response, params = ring(twilio_post, marked)
        call = Call.objects.get(call_sid=params["CallSid"])
        action = f"{base('/telephony/twilio/flow')}?call={call.public_id}&amp;event=challenge"
        assert_twiml(
            response,
            f'<Response><Gather action="{action}" numDigits="1" timeout="5">'
            "<Say>To continue your call, press 1.</Say></Gather><Say>Goodbye.</Say><Hangup/></Response>",
        )
        assert call.spam
        assert started.call_count == 0
        # A person presses 1 and gets through; the call counts again.
        response = twilio_post(action.replace("&amp;", "&"), {**params, "Digits": "1"})
        assert b"<Dial" in response.content
        call.refresh_from_db()
        assert not call.spam
        assert started.call_count == 1
    finally:
        signals.call_started.disconnect(started)


def test_a_failed_challenge_stays_spam(twilio_post, company, marked):
    response, params = ring(twilio_post, marked)
    call = Call.objects.get(call_sid=params["CallSid"])
    response = twilio_post(f"/telephony/twilio/flow?call={call.public_id}&event=challenge", {**params, "Digits": "7"})
    assert_twiml(response, "<Response><Say>Goodbye.</Say><Hangup/></Response>")
    call.refresh_from_db()
    assert call.spam
    # The next call is challenged again.
    response, _ = ring(twilio_post, marked)
    assert b"press 1" in response.content


def test_the_company_may_reject_spammers_before_answering(twilio_post, company, marked):
    company.spam_treatment = Company.SpamTreatment.REJECT
    company.save()
    response, params = ring(twilio_post, marked)
    assert_twiml(response, '<Response><Reject reason="busy"/></Response>')
    call = Call.objects.get(call_sid=params["CallSid"])
    assert (call.spam, call.status) == (True, "busy")


def test_other_callers_and_other_companies_are_not_affected(twilio_post, company, other_company, marked):
    response, _ = ring(twilio_post, marked, from_="+12025550199")
    assert b"<Dial" in response.content
    response, _ = ring(twilio_post, make_number(other_company))
    assert b"<Dial" in response.content


def test_spam_calls_stay_out_of_counts(twilio_post, company, marked):
    ring(twilio_post, marked)
    assert Call.objects.count() == 2
    assert Call.objects.not_spam().count() == 0
    response, params = ring(twilio_post, marked, from_="+12025550199")
    assert list(Call.objects.not_spam().values_list("call_sid", flat=True)) == [params["CallSid"]]


def test_spam_cannot_be_unmarked(twilio_post, company, marked):
    call = Call.objects.get()
    with pytest.raises(ValidationError, match="cannot be unmarked"):
        call_update(call=call, changes={"spam": False})
