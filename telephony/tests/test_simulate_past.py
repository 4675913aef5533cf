"""Calls, texts, visits and forms placed at a past moment: the simulator stamps its requests
with Twilio's ``Timestamp``, the webhooks record that time, and the visit and form services
take an explicit ``at``. The demo's history is made this way, in process."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from telephony.call_simulator import CallSimulator, InProcess, text_simulate
from telephony.models import Call, TextMessage
from telephony.twilio import twilio_time, twilio_timestamp
from tracking.forms_capture import FormCapture, form_submission_capture
from tracking.models import NumberAssignment, PageView, VisitorSession
from tracking.page_views import page_views_flush
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory, dni_config
from tracking.visits import VisitReport, visit_report

BASE = "http://127.0.0.1:8000"


@pytest.fixture
def public_base(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.ALLOWED_HOSTS = ["calls.example.com"]  # not the public URL's host: any served name will do


@pytest.fixture
def pool(company):
    flow = CallFlowFactory(company=company)  # basic, recorded, rings +14045551234
    tracker = TrackerFactory(company=company, call_flow=flow, pool_size=2, sms_enabled=True)
    for _ in range(2):
        TrackingNumberFactory(tracker=tracker)
    return tracker


def visit(company, session_key, at, url="https://example.com/?gclid=CLICK1&utm_source=google&utm_medium=cpc"):
    return visit_report(
        dni_config(company),
        VisitReport(
            visitor_id=f"v-{session_key}",
            session_key=session_key,
            page_url=url,
            landing_url=url,
            landing_referrer="https://www.google.com/",
            first_contact=True,
        ),
        at=at,
    )


def test_twilio_time_reads_the_rfc_2822_timestamp():
    moment = datetime(2024, 5, 1, 10, 0, 5, tzinfo=UTC)
    assert twilio_timestamp(moment) == "Wed, 01 May 2024 10:00:05 +0000"
    assert twilio_time({"Timestamp": "Wed, 01 May 2024 10:00:05 +0000"}) == moment
    assert twilio_time({"Timestamp": "Wed, 01 May 2024 12:00:05 +0200"}) == moment
    assert twilio_time({"Timestamp": "Wed, 01 May 2024 10:00:05 -0000"}) == moment
    assert twilio_time({}) is None
    assert twilio_time({"Timestamp": "yesterday"}) is None


def stamp(params: Mapping[str, Any]) -> datetime:
    """The request's ``Timestamp``, which every request here carries."""
    moment = twilio_time(params)
    assert moment is not None
    return moment


def test_twilio_time_is_never_in_the_future():
    later = timezone.now() + timedelta(days=2)
    assert stamp({"Timestamp": twilio_timestamp(later)}) <= timezone.now()


def test_a_past_call_is_recorded_then_and_attributed_to_the_visit_of_then(public_base, company, pool):
    at = (timezone.now() - timedelta(days=9)).replace(microsecond=0)
    answer = visit(company, "past-visit-1", at - timedelta(minutes=3))
    (number,) = answer.numbers.values()

    simulator = CallSimulator(
        base_url=BASE, to=number, from_="+13035550123", outcome="answered", duration=95, at=at, session=InProcess()
    )
    result = simulator.run()

    call = Call.objects.get(call_sid=result.call_sid)
    assert call.start_time == at
    assert (call.call_type, call.duration, call.recording_duration) == ("answered", 95, 95)
    assert call.session.session_key == "past-visit-1"
    assert (call.source, call.gclid) == ("google_paid", "CLICK1")
    # The call's clock went on: the hangup came after the greeting, the ringing and the talk.
    ended = datetime.fromisoformat(call.flow_state["ended"])
    assert at + timedelta(seconds=95) < ended < at + timedelta(minutes=3)
    stamps = [stamp(exchange.params) for exchange in result.exchanges]
    assert stamps == sorted(stamps) and stamps[0] == at


def test_a_past_missed_call_is_not_given_to_a_visit_that_came_later(public_base, company, pool):
    at = timezone.now() - timedelta(days=3)
    answer = visit(company, "later-visit", at + timedelta(hours=2))
    (number,) = answer.numbers.values()
    result = CallSimulator(
        base_url=BASE, to=number, from_="+13035550124", outcome="no-answer", at=at, session=InProcess()
    ).run()
    call = Call.objects.get(call_sid=result.call_sid)
    assert (call.call_type, call.session) == ("missed", None)


def test_a_call_without_at_happens_now(public_base, company, pool):
    number = pool.numbers.first().number
    before = timezone.now()
    result = CallSimulator(base_url=BASE, to=number, from_="+13035550125", session=InProcess()).run()
    assert all("Timestamp" not in exchange.params for exchange in result.exchanges)
    assert Call.objects.get(call_sid=result.call_sid).start_time >= before


def test_a_past_text_is_dated_when_it_was_sent(public_base, company, pool):
    at = (timezone.now() - timedelta(days=4)).replace(microsecond=0)
    number = pool.numbers.first().number
    text_simulate(
        base_url=BASE, to=number, from_="+13035550126", body="Do you do weekends?", at=at, session=InProcess()
    )
    message = TextMessage.objects.get()
    assert (message.direction, message.content, message.created_at) == ("incoming", "Do you do weekends?", at)
    assert message.conversation.last_message_at == at


def test_a_visit_replayed_in_the_past_starts_and_holds_then(company, pool, redis_client):
    at = (timezone.now() - timedelta(days=12)).replace(microsecond=0)
    visit(company, "replayed", at)
    page_views_flush(scope=pool.public_id, client=redis_client)
    session = VisitorSession.objects.get(session_key="replayed")
    assert session.created_at == at
    hold = NumberAssignment.objects.get(session=session)
    assert (hold.started_at, hold.expires_at) == (at, at + timedelta(seconds=pool.session_timeout))
    assert list(PageView.objects.filter(session=session).values_list("created_at", flat=True)) == [at]


def test_a_form_captured_in_the_past_is_dated_then(company, pool):
    at = timezone.now() - timedelta(days=5)
    visit(company, "form-visit", at - timedelta(minutes=2))
    submission = form_submission_capture(
        dni_config(company),
        FormCapture(
            visitor_id="v-form-visit",
            session_key="form-visit",
            form_url="https://example.com/contact",
            fields={"name": "Dana Reyes", "phone": "(303) 555-0127"},
        ),
        at=at,
    )
    assert submission.submitted_at == at
    assert (submission.source, submission.customer_name) == ("Google Paid", "Dana Reyes")
