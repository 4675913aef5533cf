"""``simulate_call`` against a real HTTP server (pytest-django's live_server): the
whole request sequence of a call, signed as Twilio signs it."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from telephony import signals
from telephony.models import Call
from telephony.tests.test_voice_webhook import hold
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory, VisitorSessionFactory

pytestmark = pytest.mark.slow

FLOW = {
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
        {"id": "sales", "type": "dial", "destination_number": "+14045550101", "timeout": 20, "timeout_step_id": "vm"},
        {"id": "vm", "type": "voicemail", "prompt_text": "Please leave a message.", "transcribe": True},
    ],
}


@pytest.fixture
def server(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    return live_server


@pytest.fixture
def tracker(transactional_db, company):
    flow = CallFlowFactory(company=company, definition=FLOW)
    tracker = TrackerFactory(company=company, call_flow=flow, pool_size=2, whisper_message="Call from [source]")
    for _ in range(2):
        TrackingNumberFactory(tracker=tracker)
    return tracker


def simulate(**options):
    out = StringIO()
    call_command("simulate_call", stdout=out, **options)
    return out.getvalue()


def test_an_answered_call_is_recorded_and_attributed_to_the_visit(server, tracker, company):
    visit = VisitorSessionFactory(
        company=company, source="google_paid", medium="cpc", utm_campaign="spring", landing_url="https://example.com/"
    )
    number = hold(tracker, visit, timezone.now() - timedelta(minutes=2))
    completed = mock.Mock()
    signals.call_completed.connect(completed)
    try:
        output = simulate(to=number.number, from_="+13035550123", digits="1", outcome="answered", duration=42)
    finally:
        signals.call_completed.disconnect(completed)
    call = Call.objects.get()
    assert (call.call_type, call.status, call.duration, call.answered) == ("answered", "completed", 42, True)
    assert call.business_phone_number == "+14045550101"
    assert call.session == visit
    assert (call.source, call.campaign) == ("google_paid", "spring")
    assert call.keypad_entries == [{"name": "Press 1 for sales.", "value": "1"}]
    assert call.recording_duration == 42
    assert call.recording_url.startswith("https://api.twilio.com/")
    assert completed.call_count == 1
    # The exchange is printed: requests, TwiML answers, and the attributed call.
    assert "/telephony/twilio/voice" in output
    assert "<Gather" in output
    assert "<Say>Call from Google Paid</Say>" in output
    assert f"Call {call.public_id}" in output
    assert f"attributed to visitor session {visit.session_key}: source google_paid" in output


def test_no_answer_leaves_a_transcribed_voicemail(server, tracker):
    number = tracker.numbers.first()
    simulate(to=number.number, from_="+13035550123", digits="1", outcome="voicemail", duration=20)
    call = Call.objects.get()
    assert (call.call_type, call.voicemail, call.answered, call.recording_duration) == (
        "voicemail_transcription",
        True,
        False,
        20,
    )
    assert call.transcription.startswith("Hi, this is a simulated caller")


def test_a_busy_line_is_a_missed_call(server, company, transactional_db):
    flow = CallFlowFactory(company=company, definition={"type": "basic", "destination_number": "+14045551234"})
    number = TrackingNumberFactory(tracker=TrackerFactory(company=company, call_flow=flow, type="source"))
    simulate(to=number.number, from_="+13035550123", outcome="busy", quiet=True)
    call = Call.objects.get()
    assert (call.call_type, call.status, call.answered) == ("missed", "busy", False)


def test_a_simulator_with_another_token_is_refused(server, tracker):
    number = tracker.numbers.first()
    with (
        mock.patch("telephony.call_simulator.signature_compute", return_value="c2lnbmVkIGVsc2V3aGVyZQ=="),
        pytest.raises(CommandError, match="403"),
    ):
        simulate(to=number.number, from_="+13035550123")
    assert not Call.objects.exists()


def test_voicemail_on_a_basic_flow_says_the_flow_has_none(server, company, transactional_db):
    # The reference's basic flow greets and rings the destination: it has no voicemail step.
    flow = CallFlowFactory(
        company=company,
        definition={"type": "basic", "destination_number": "+14045551234", "recording_enabled": True},
    )
    number = TrackingNumberFactory(tracker=TrackerFactory(company=company, call_flow=flow, type="source"))
    output = simulate(to=number.number, from_="+13035550123", outcome="voicemail", quiet=True)
    call = Call.objects.get()
    assert (call.call_type, call.voicemail, call.answered, call.recording_url) == ("missed", False, False, "")
    assert "notice: no voicemail: this call flow has no voicemail step" in output


def test_no_notice_when_the_flow_takes_the_message(server, tracker):
    output = simulate(to=tracker.numbers.first().number, from_="+13035550123", digits="1", outcome="voicemail")
    assert "notice:" not in output
