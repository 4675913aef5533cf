"""The recording announcement: every flow that records tells the caller first (basic and
advanced flows, outbound calls), and may record only from then on. Read from the TwiML."""

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from accounts.models import Company
from accounts.services import company_create
from telephony.models import Call
from telephony.services.outbound import outbound_call_start
from telephony.tests.conftest import base, voice_params
from tracking.models import TrackingNumber
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory

if TYPE_CHECKING:
    from telephony.tests.conftest import TestResponse

pytestmark = pytest.mark.django_db

VOICE = "/telephony/twilio/voice"
MESSAGE = "This call is recorded. Calls may be reviewed by our staff."
GREETING = "Thanks for calling Alice Plumbing."
MENU_FLOW = {
    "type": "advanced",
    "recording_enabled": True,
    "initial_step_id": "menu",
    "steps": [
        {
            "id": "menu",
            "type": "menu",
            "prompt_text": "Press 1 for sales.",
            "menu_options": [{"key": "1", "next_step_id": "sales"}],
        },
        {"id": "sales", "type": "dial", "destination_number": "+14045550101", "timeout_step_id": None},
    ],
}


@pytest.fixture
def company(account):
    # A company made as the API and dashboard make them: the announcement is on.
    return company_create(account=account, name="Alice Plumbing", recording_disclosure_message=MESSAGE)


def number_for(company, definition):
    flow = CallFlowFactory(company=company, definition=definition)
    tracker = TrackerFactory(company=company, call_flow=flow, type="source", source={"type": "offline"})
    return TrackingNumberFactory(tracker=tracker)


def basic(**flow):
    return {"type": "basic", "destination_number": "+14045551234", "recording_enabled": True, **flow}


def verbs(response: "TestResponse") -> list[ET.Element]:
    assert response.status_code == 200, response.content
    return list(ET.fromstring(response.content))


def call_in(twilio_post: Callable[..., "TestResponse"], number: TrackingNumber) -> list[ET.Element]:
    return verbs(twilio_post(VOICE, voice_params(to=number.number)))


def test_new_companies_announce_recording_and_old_ones_keep_their_behaviour(account):
    assert company_create(account=account, name="New").recording_disclosure is True
    assert Company.objects.create(account=account, name="Made before").recording_disclosure is False


def test_a_basic_flow_announces_before_its_greeting(twilio_post, company):
    answer = call_in(twilio_post, number_for(company, basic(greeting_text=GREETING)))
    assert [(verb.tag, verb.text) for verb in answer[:2]] == [("Say", MESSAGE), ("Say", GREETING)]
    dial = answer[2]
    assert dial.tag == "Dial"
    assert dial.get("record") == "record-from-answer-dual"


def test_an_advanced_flow_announces_before_its_first_menu(twilio_post, company):
    answer = call_in(twilio_post, number_for(company, MENU_FLOW))
    assert (answer[0].tag, answer[0].text) == ("Say", MESSAGE)
    assert answer[1].tag == "Gather"


def test_a_flow_that_does_not_record_announces_nothing(twilio_post, company):
    answer = call_in(twilio_post, number_for(company, basic(recording_enabled=False, greeting_text=GREETING)))
    assert [verb.text for verb in answer if verb.tag == "Say"] == [GREETING]


def test_a_company_without_the_announcement_records_as_before(twilio_post, company):
    company.recording_disclosure = False
    company.save()
    answer = call_in(twilio_post, number_for(company, basic()))
    assert [verb.tag for verb in answer] == ["Dial"]
    assert answer[0].get("record") == "record-from-answer-dual"


def test_recording_can_start_only_after_the_announcement(twilio_post, company):
    company.record_after_disclosure = True
    company.save()
    answer = call_in(twilio_post, number_for(company, MENU_FLOW))
    assert (answer[0].tag, answer[0].text) == ("Say", MESSAGE)
    start = answer[1]
    assert start.tag == "Start"
    recording = start.find("Recording")
    call = Call.objects.get()
    assert recording.get("recordingStatusCallback") == (
        f"{base('/telephony/twilio/recording')}?call={call.public_id}&kind=call"
    )
    assert (recording.get("channels"), recording.get("track")) == ("dual", "both")
    assert answer[2].tag == "Gather"
    # The recording is already running: the dial that follows does not start another one.
    dialed = verbs(
        twilio_post(
            f"/telephony/twilio/flow?call={call.public_id}&step=menu&event=gather&attempt=1",
            voice_params(to=call.tracking_phone_number, call_sid=call.call_sid, Digits="1"),
        )
    )
    assert dialed[0].tag == "Dial"
    assert dialed[0].get("record") is None
    # Post-Call waits for that recording, answered or not.
    assert Call.objects.get().flow_state["recording_expected"] is True


def test_a_retried_voice_webhook_announces_again(twilio_post, company):
    number = number_for(company, basic())
    params = voice_params(to=number.number)
    first = verbs(twilio_post(VOICE, params))
    again = verbs(twilio_post(VOICE, params))
    assert (first[0].text, again[0].text) == (MESSAGE, MESSAGE)


@pytest.fixture
def caller_id(company):
    return TrackingNumberFactory(tracker=TrackerFactory(company=company), number="+14705550111")


def outbound(twilio_post, account, company, **kwargs):
    call = outbound_call_start(
        account=account,
        company=company,
        caller_id="+14705550111",
        customer_phone_number="+13035550123",
        business_phone_number="+14045551234",
        **kwargs,
    )
    params = {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call.call_sid,
        "CallStatus": "in-progress",
        "Direction": "outbound-api",
        "From": "+14705550111",
        "To": "+14045551234",
    }
    bridge = verbs(twilio_post(f"/telephony/twilio/outbound?call={call.public_id}", params))
    customer_leg = {**params, "CallSid": "CA" + "5" * 32, "ParentCallSid": call.call_sid, "To": "+13035550123"}
    greeting = verbs(twilio_post(f"/telephony/twilio/whisper?call={call.public_id}&leg=customer", customer_leg))
    return call, bridge, greeting


def test_an_outbound_call_announces_to_the_customer_before_the_greeting(twilio_post, account, company, caller_id):
    call, bridge, greeting = outbound(
        twilio_post, account, company, recording_enabled=True, outbound_greeting_text=GREETING
    )
    dial = bridge[0]
    assert dial.get("record") == "record-from-answer-dual"
    assert dial.find("Number").get("url") == f"{base('/telephony/twilio/whisper')}?call={call.public_id}&leg=customer"
    assert [(verb.tag, verb.text) for verb in greeting] == [("Say", MESSAGE), ("Say", GREETING)]


def test_an_outbound_call_without_a_greeting_still_announces(twilio_post, account, company, caller_id):
    _, bridge, greeting = outbound(twilio_post, account, company, recording_enabled=True)
    assert bridge[0].find("Number").get("url")
    assert [(verb.tag, verb.text) for verb in greeting] == [("Say", MESSAGE)]


def test_an_unrecorded_outbound_call_announces_nothing(twilio_post, account, company, caller_id):
    _, bridge, greeting = outbound(twilio_post, account, company, recording_enabled=False)
    assert bridge[0].find("Number").get("url") is None
    assert greeting == []


def test_an_outbound_call_may_record_only_after_the_customer_is_told(twilio_post, account, company, caller_id):
    company.record_after_disclosure = True
    company.save()
    call, bridge, greeting = outbound(
        twilio_post, account, company, recording_enabled=True, outbound_greeting_text=GREETING
    )
    assert bridge[0].get("record") is None
    assert [verb.tag for verb in greeting] == ["Say", "Start", "Say"]
    assert greeting[0].text == MESSAGE
    assert greeting[1].find("Recording").get("recordingStatusCallback") == (
        f"{base('/telephony/twilio/recording')}?call={call.public_id}&kind=call"
    )
