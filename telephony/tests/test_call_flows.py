"""Advanced call flows, step by step, through the real webhooks: the TwiML of every
step type, and how each continues when Twilio comes back."""

import xml.etree.ElementTree as ET
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from telephony import signals
from telephony.callflows.runtime import FlowRun
from telephony.models import Call
from telephony.tests.conftest import assert_twiml, base, voice_params
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory

VOICE = "/telephony/twilio/voice"
ALL_DAY = {
    day: [["00:00", "24:00"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def flow_definition(hours=None):
    return {
        "type": "advanced",
        "recording_enabled": False,
        "initial_step_id": 0,
        "steps": [
            {"id": 0, "type": "message", "prompt_text": "Thanks for calling Alice Plumbing.", "next_step_id": 1},
            {
                "id": 1,
                "type": "schedule",
                "hours": ALL_DAY if hours is None else hours,
                "open_step_id": 2,
                "closed_step_id": 8,
            },
            {"id": 2, "type": "tag", "tags": ["Business hours"], "next_step_id": 3},
            {
                "id": 3,
                "type": "menu",
                "name": "Main menu",
                "prompt_text": "Press 1 for sales, 2 for support, 3 for billing.",
                "repeat": 1,
                "menu_options": [
                    {"key": "1", "description": "Sales", "next_step_id": 4},
                    {"key": "2", "description": "Support", "next_step_id": 5},
                    {"key": "3", "description": "Billing", "next_step_id": 6},
                    {"key": "0", "description": "Bye", "next_step_id": 7},
                ],
            },
            {"id": 4, "type": "dial", "destination_number": "+14045550101", "timeout": 20, "timeout_step_id": 8},
            {
                "id": 5,
                "type": "simultaneous",
                "destination_numbers": ["+14045550102", "+14045550103"],
                "timeout_step_id": 8,
            },
            {
                "id": 6,
                "type": "round_robin",
                "destination_numbers": ["+14045550104", "+14045550105", "+14045550106"],
                "timeout": 15,
                "timeout_step_id": 8,
            },
            {"id": 7, "type": "hangup", "prompt_text": "Goodbye."},
            {"id": 8, "type": "voicemail", "prompt_text": "Please leave a message.", "transcribe": True},
        ],
    }


@pytest.fixture
def number(company):
    call_flow = CallFlowFactory(company=company, definition=flow_definition())
    tracker = TrackerFactory(company=company, call_flow=call_flow, whisper_message="Call from [source]")
    return TrackingNumberFactory(tracker=tracker)


def flow_url(call, step, event, **extra):
    query = f"call={call.public_id}&amp;step={step}&amp;event={event}"
    for key, value in extra.items():
        query += f"&amp;{key}={value}"
    return f"{base('/telephony/twilio/flow')}?{query}"


def menu_twiml(call, attempt, notice=""):
    url = flow_url(call, 3, "gather", attempt=attempt)
    say = f"<Say>{notice}</Say>" if notice else ""
    return (
        f'{say}<Gather action="{url}" numDigits="1" timeout="5">'
        "<Say>Press 1 for sales, 2 for support, 3 for billing.</Say></Gather>"
        f"<Redirect>{url}</Redirect>"
    )


def number_noun(call, number, step):
    return (
        f'<Number statusCallback="{base("/telephony/twilio/dial-status")}?call={call.public_id}"'
        f' statusCallbackEvent="answered completed"'
        f' url="{base("/telephony/twilio/whisper")}?call={call.public_id}&amp;step={step}">{number}</Number>'
    )


def dial(call, step, numbers, timeout, attempt=0):
    nouns = "".join(number_noun(call, n, step) for n in numbers)
    return (
        f'<Dial action="{flow_url(call, step, "dial", attempt=attempt)}" answerOnBridge="true"'
        f' timeout="{timeout}">{nouns}</Dial>'
    )


def voicemail(call):
    return (
        "<Say>Please leave a message.</Say>"
        f'<Record action="{flow_url(call, 8, "record")}" finishOnKey="#" maxLength="120" playBeep="true"'
        f' recordingStatusCallback="{base("/telephony/twilio/recording")}?call={call.public_id}&amp;kind=voicemail"'
        ' recordingStatusCallbackEvent="completed absent" transcribe="true"'
        f' transcribeCallback="{base("/telephony/twilio/transcription")}?call={call.public_id}"/>'
    )


def action_of(response, tag):
    """The URL Twilio would request next (the action of the first ``tag`` element)."""
    root = ET.fromstring(response.content)
    return root.find(f".//{tag}").get("action")


def start(twilio_post, number, from_="+13035550123"):
    params = voice_params(to=number.number, from_=from_)
    response = twilio_post(VOICE, params)
    return Call.objects.get(call_sid=params["CallSid"]), response, params


def test_message_schedule_tag_and_menu_run_in_one_answer(twilio_post, number):
    call, response, _ = start(twilio_post, number)
    assert_twiml(response, f"<Response><Say>Thanks for calling Alice Plumbing.</Say>{menu_twiml(call, 1)}</Response>")
    assert [tag.name for tag in call.tags.all()] == ["Business hours"]
    assert call.flow_state["path"] == [0, 1, 2, 3]


def test_outside_open_hours_the_caller_reaches_voicemail(twilio_post, company):
    call_flow = CallFlowFactory(company=company, definition=flow_definition(hours={}))
    number = TrackingNumberFactory(tracker=TrackerFactory(company=company, call_flow=call_flow))
    call, response, _ = start(twilio_post, number)
    assert_twiml(response, f"<Response><Say>Thanks for calling Alice Plumbing.</Say>{voicemail(call)}</Response>")
    assert not call.tags.exists()


def test_menu_key_1_dials_and_a_timeout_goes_to_voicemail(twilio_post, number):
    call, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "1", "CallStatus": "in-progress"})
    call.refresh_from_db()
    assert_twiml(response, f"<Response>{dial(call, 4, ['+14045550101'], 20)}</Response>")
    assert call.keypad_entries == [{"name": "Main menu", "value": "1"}]
    response = twilio_post(
        action_of(response, "Dial"), {**params, "DialCallStatus": "no-answer", "CallStatus": "in-progress"}
    )
    assert_twiml(response, f"<Response>{voicemail(call)}</Response>")
    response = twilio_post(
        action_of(response, "Record"),
        {
            **params,
            "CallStatus": "in-progress",
            "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1",
            "RecordingDuration": "14",
            "Digits": "hangup",
        },
    )
    assert_twiml(
        response, "<Response><Say>Thank you. Your message has been recorded. Goodbye.</Say><Hangup/></Response>"
    )
    call.refresh_from_db()
    assert call.voicemail
    assert call.answered is None
    assert call.flow_state["transcription_expected"]


def test_an_answered_dial_marks_the_call_answered_and_routed(twilio_post, number):
    call, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "1"})
    routed = mock.Mock()
    signals.call_routed.connect(routed)
    try:
        leg = {**params, "CallSid": "CA" + "9" * 32, "ParentCallSid": params["CallSid"], "To": "+14045550101"}
        twilio_post(
            f"/telephony/twilio/dial-status?call={call.public_id}",
            {**leg, "CallStatus": "in-progress", "Direction": "outbound-dial"},
        )
        done = twilio_post(
            action_of(response, "Dial"), {**params, "DialCallStatus": "completed", "DialCallDuration": "42"}
        )
    finally:
        signals.call_routed.disconnect(routed)
    assert_twiml(done, "<Response><Hangup/></Response>")
    call.refresh_from_db()
    assert call.answered is True
    assert call.business_phone_number == "+14045550101"
    assert routed.call_count == 1


def test_menu_key_2_rings_phones_at_once(twilio_post, number):
    call, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "2"})
    assert_twiml(response, f"<Response>{dial(call, 5, ['+14045550102', '+14045550103'], 30)}</Response>")


def test_round_robin_rings_the_next_person_and_a_repeat_caller_reaches_the_same_one(twilio_post, number):
    call, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "3"})
    assert_twiml(response, f"<Response>{dial(call, 6, ['+14045550104'], 15)}</Response>")
    # Nobody answers: the next person in the group rings.
    response = twilio_post(action_of(response, "Dial"), {**params, "DialCallStatus": "no-answer"})
    assert_twiml(response, f"<Response>{dial(call, 6, ['+14045550105'], 15, attempt=1)}</Response>")
    response = twilio_post(action_of(response, "Dial"), {**params, "DialCallStatus": "completed"})
    call.refresh_from_db()
    assert call.business_phone_number == "+14045550105"

    again, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "3"})
    assert_twiml(response, f"<Response>{dial(again, 6, ['+14045550105'], 15)}</Response>")

    newcomer, response, params = start(twilio_post, number, from_="+13035550177")
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "3"})
    assert_twiml(response, f"<Response>{dial(newcomer, 6, ['+14045550105'], 15)}</Response>")


def test_round_robin_gives_up_to_the_timeout_step_after_everyone(twilio_post, number):
    call, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "3"})
    for _ in range(3):
        response = twilio_post(action_of(response, "Dial"), {**params, "DialCallStatus": "busy"})
    assert_twiml(response, f"<Response>{voicemail(call)}</Response>")


def test_an_invalid_key_repeats_the_menu_then_says_goodbye(twilio_post, number):
    call, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "9"})
    assert_twiml(response, f"<Response>{menu_twiml(call, 2, 'Sorry, that is not a valid option.')}</Response>")
    # No key at all: Twilio follows the <Redirect> after the <Gather>, without Digits.
    redirect = ET.fromstring(response.content).find("Redirect").text
    response = twilio_post(redirect, params)
    assert_twiml(response, "<Response><Say>Thank you for calling. Goodbye.</Say><Hangup/></Response>")


def test_no_input_repeats_the_menu(twilio_post, number):
    call, response, params = start(twilio_post, number)
    redirect = ET.fromstring(response.content).find("Redirect").text
    response = twilio_post(redirect, params)
    assert_twiml(response, f"<Response>{menu_twiml(call, 2, 'Sorry, we did not receive a selection.')}</Response>")


def test_the_hangup_step_says_goodbye(twilio_post, number):
    call, response, params = start(twilio_post, number)
    response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "0"})
    assert_twiml(response, "<Response><Say>Goodbye.</Say><Hangup/></Response>")


def test_flow_callbacks_need_a_valid_signature(twilio_post, number):
    call, response, params = start(twilio_post, number)
    forged = twilio_post(action_of(response, "Gather"), {**params, "Digits": "1"}, signature="bm9wZQ==")
    assert forged.status_code == 403


def test_the_whisper_names_the_source(twilio_post, number):
    call, response, params = start(twilio_post, number)
    call.source = "google_paid"
    call.save()
    leg = {**params, "CallSid": "CA" + "8" * 32, "ParentCallSid": params["CallSid"], "Direction": "outbound-dial"}
    response = twilio_post(f"/telephony/twilio/whisper?call={call.public_id}&step=4", leg)
    assert_twiml(response, "<Response><Say>Call from Google Paid</Say></Response>")


def test_a_failing_flow_step_still_rings_the_destination(twilio_post, number):
    call, response, params = start(twilio_post, number)
    with mock.patch("telephony.callflows.runtime.FlowRun.on_gather", side_effect=RuntimeError("bug")):
        response = twilio_post(action_of(response, "Gather"), {**params, "Digits": "1"})
    assert_twiml(response, "<Response><Dial>+14045550101</Dial></Response>")


@pytest.mark.parametrize(
    ("local", "is_open"),
    [
        ("2025-06-02 08:59", False),  # Monday, before opening
        ("2025-06-02 09:00", True),
        ("2025-06-02 16:59", True),
        ("2025-06-02 17:00", False),
        ("2025-06-07 10:00", False),  # Saturday
        ("2025-12-25 10:00", False),  # closed date (a Thursday)
    ],
)
def test_open_hours_are_read_in_the_company_time_zone(company, local, is_open):
    company.time_zone = "America/Denver"
    hours = {day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")}
    definition = {
        "type": "advanced",
        "initial_step_id": 1,
        "steps": [
            {
                "id": 1,
                "type": "schedule",
                "hours": hours,
                "closed_dates": ["2025-12-25"],
                "open_step_id": 2,
                "closed_step_id": 3,
            },
            {"id": 2, "type": "dial", "destination_number": "+14045550101"},
            {"id": 3, "type": "hangup"},
        ],
    }
    tracker = TrackerFactory(company=company, call_flow=CallFlowFactory(company=company, definition=definition))
    start_time = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo("America/Denver"))
    call = Call(account=company.account, company=company, tracker=tracker, start_time=start_time)
    run = FlowRun.for_call(call, tracker)
    step = run.step(1)
    assert step is not None
    assert run._is_open(step) is is_open
