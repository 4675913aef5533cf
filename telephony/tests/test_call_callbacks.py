"""Status, recording and transcription callbacks complete the call; Post-Call is
announced once, when the call has ended and its media are in."""

from unittest import mock

import pytest

from telephony import signals
from telephony.models import Call
from telephony.services.callbacks import call_post_call_deadline
from telephony.tests.conftest import voice_params
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory

VOICE = "/telephony/twilio/voice"
RECORDING_URL = "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000000/Recordings/RE123"


@pytest.fixture
def completed():
    receiver = mock.Mock()
    signals.call_completed.connect(receiver)
    yield receiver
    signals.call_completed.disconnect(receiver)


@pytest.fixture
def modified():
    receiver = mock.Mock()
    signals.call_modified.connect(receiver)
    yield receiver
    signals.call_modified.disconnect(receiver)


def make_number(company, recording_enabled=True):
    definition = {"type": "basic", "destination_number": "+14045551234", "recording_enabled": recording_enabled}
    flow = CallFlowFactory(company=company, definition=definition)
    return TrackingNumberFactory(tracker=TrackerFactory(company=company, call_flow=flow))


def ring(twilio_post, number):
    params = voice_params(to=number.number)
    twilio_post(VOICE, params)
    return Call.objects.get(call_sid=params["CallSid"]), params


def answer(twilio_post, call, params):
    leg = {**params, "CallSid": "CA" + "7" * 32, "ParentCallSid": params["CallSid"], "To": "+14045551234"}
    twilio_post(f"/telephony/twilio/dial-status?call={call.public_id}", {**leg, "CallStatus": "in-progress"})
    twilio_post(
        f"/telephony/twilio/flow?call={call.public_id}&step=dial&event=dial&attempt=0",
        {**params, "DialCallStatus": "completed", "DialCallDuration": "40"},
    )


def hang_up(twilio_post, params, duration="42", status="completed"):
    return twilio_post("/telephony/twilio/status", {**params, "CallStatus": status, "CallDuration": duration})


def test_status_callback_ends_the_call(twilio_post, company, completed, django_capture_on_commit_callbacks):
    call, params = ring(twilio_post, make_number(company, recording_enabled=False))
    answer(twilio_post, call, params)
    with django_capture_on_commit_callbacks(execute=False):
        response = hang_up(twilio_post, params)
    assert response.status_code == 204
    call.refresh_from_db()
    assert (call.status, call.duration, call.answered, call.call_type) == ("completed", 42, True, "answered")
    assert call.business_phone_number == "+14045551234"
    assert completed.call_count == 1
    assert completed.call_args.kwargs["call"].pk == call.pk


def test_a_missed_call_is_missed(twilio_post, company, completed):
    call, params = ring(twilio_post, make_number(company))
    twilio_post(
        f"/telephony/twilio/flow?call={call.public_id}&step=dial&event=dial&attempt=0",
        {**params, "DialCallStatus": "no-answer"},
    )
    hang_up(twilio_post, params, duration="25")
    call.refresh_from_db()
    assert (call.answered, call.voicemail, call.call_type, call.business_phone_number) == (False, False, "missed", "")
    # Nothing was recorded, so Post-Call does not wait.
    assert completed.call_count == 1


def test_a_caller_who_hangs_up_before_any_phone_rings_abandoned(db, company):
    call = Call(status="completed", flow_state={}, answered=False)
    assert call.call_type == "abandonded"
    assert Call(status="in-progress").call_type == "in_progress"
    assert Call(direction="outbound", status="completed").call_type == "outbound"


def test_post_call_waits_for_the_recording(
    twilio_post, company, completed, modified, django_capture_on_commit_callbacks
):
    call, params = ring(twilio_post, make_number(company))
    answer(twilio_post, call, params)
    with (
        mock.patch("telephony.tasks.call_post_call_deadline.apply_async") as deadline,
        django_capture_on_commit_callbacks(execute=True),
    ):
        hang_up(twilio_post, params)
    assert completed.call_count == 0
    deadline.assert_called_once()
    assert deadline.call_args.kwargs["countdown"] == 20 * 60
    response = twilio_post(
        f"/telephony/twilio/recording?call={call.public_id}&kind=call",
        {
            "AccountSid": params["AccountSid"],
            "CallSid": params["CallSid"],
            "RecordingSid": "RE123",
            "RecordingUrl": RECORDING_URL,
            "RecordingStatus": "completed",
            "RecordingDuration": "38",
            "RecordingChannels": "2",
            "RecordingStartTime": "Mon, 22 Aug 2011 12:42:59 +0000",
            "RecordingSource": "DialVerb",
        },
    )
    assert response.status_code == 204
    call.refresh_from_db()
    assert (call.recording_url, call.recording_sid, call.recording_duration) == (RECORDING_URL, "RE123", 38)
    assert completed.call_count == 1
    # The deadline finds Post-Call already sent.
    assert call_post_call_deadline(call_id=call.pk) is False
    assert completed.call_count == 1
    assert modified.call_count == 0
    assert call.has_recording


def test_post_call_fires_at_the_deadline_without_the_recording(twilio_post, company, completed, modified):
    call, params = ring(twilio_post, make_number(company))
    answer(twilio_post, call, params)
    with mock.patch("telephony.tasks.call_post_call_deadline.apply_async"):
        hang_up(twilio_post, params)
    assert completed.call_count == 0
    assert call_post_call_deadline(call_id=call.pk) is True
    assert completed.call_count == 1
    # A recording arriving later is a change to the finished call.
    twilio_post(
        f"/telephony/twilio/recording?call={call.public_id}&kind=call",
        {
            "CallSid": params["CallSid"],
            "RecordingSid": "RE9",
            "RecordingUrl": RECORDING_URL,
            "RecordingStatus": "completed",
            "RecordingDuration": "5",
        },
    )
    assert modified.call_count == 1
    assert modified.call_args.kwargs["changes"] == ["recording_duration"]


def test_an_absent_recording_does_not_hold_post_call(twilio_post, company, completed):
    call, params = ring(twilio_post, make_number(company))
    answer(twilio_post, call, params)
    with mock.patch("telephony.tasks.call_post_call_deadline.apply_async"):
        hang_up(twilio_post, params)
    twilio_post(
        f"/telephony/twilio/recording?call={call.public_id}&kind=call",
        {"CallSid": params["CallSid"], "RecordingSid": "RE1", "RecordingStatus": "absent", "RecordingDuration": "0"},
    )
    call.refresh_from_db()
    assert call.recording_url == ""
    assert completed.call_count == 1


def test_a_voicemail_waits_for_recording_and_transcription(twilio_post, company, completed):
    definition = {
        "type": "advanced",
        "initial_step_id": 1,
        "steps": [{"id": 1, "type": "voicemail", "prompt_text": "Leave a message.", "transcribe": True}],
    }
    number = TrackingNumberFactory(
        tracker=TrackerFactory(company=company, call_flow=CallFlowFactory(company=company, definition=definition))
    )
    call, params = ring(twilio_post, number)
    twilio_post(
        f"/telephony/twilio/flow?call={call.public_id}&step=1&event=record",
        {**params, "RecordingUrl": RECORDING_URL, "RecordingDuration": "14", "Digits": "hangup"},
    )
    with mock.patch("telephony.tasks.call_post_call_deadline.apply_async"):
        hang_up(twilio_post, params, duration="30")
    twilio_post(
        f"/telephony/twilio/recording?call={call.public_id}&kind=voicemail",
        {
            "CallSid": params["CallSid"],
            "RecordingSid": "RE2",
            "RecordingUrl": RECORDING_URL,
            "RecordingStatus": "completed",
            "RecordingDuration": "14",
            "RecordingChannels": "1",
            "RecordingSource": "RecordVerb",
        },
    )
    assert completed.call_count == 0
    twilio_post(
        f"/telephony/twilio/transcription?call={call.public_id}",
        {
            **params,
            "CallStatus": "completed",
            "TranscriptionSid": "TR1",
            "TranscriptionText": "Hi, my sink is leaking, please call me back.",
            "TranscriptionStatus": "completed",
            "TranscriptionUrl": "https://api.twilio.com/2010-04-01/Accounts/AC0/Transcriptions/TR1",
            "RecordingSid": "RE2",
            "RecordingUrl": RECORDING_URL,
        },
    )
    call.refresh_from_db()
    assert call.voicemail
    assert call.transcription == "Hi, my sink is leaking, please call me back."
    assert call.call_type == "voicemail_transcription"
    assert call.recording_duration == 14
    assert completed.call_count == 1


def test_callbacks_for_unknown_calls_are_acknowledged(twilio_post, db):
    response = twilio_post("/telephony/twilio/status", {"CallSid": "CA" + "1" * 32, "CallStatus": "completed"})
    assert response.status_code == 204


def test_callbacks_need_a_valid_signature(twilio_post, company):
    call, params = ring(twilio_post, make_number(company))
    response = twilio_post("/telephony/twilio/status", {**params, "CallStatus": "completed"}, signature="eA==")
    assert response.status_code == 403
    call.refresh_from_db()
    assert call.status == "ringing"


def test_a_late_ringing_event_does_not_reopen_a_call(twilio_post, company):
    call, params = ring(twilio_post, make_number(company, recording_enabled=False))
    hang_up(twilio_post, params, status="no-answer", duration="0")
    twilio_post("/telephony/twilio/status", {**params, "CallStatus": "ringing"})
    call.refresh_from_db()
    assert call.status == "no-answer"
