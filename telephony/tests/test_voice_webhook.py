from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError
from django.utils import timezone

from telephony.models import Call
from telephony.services.lookups import NUMBERS_VERSION_KEY
from telephony.tests.conftest import assert_twiml, base, new_call_sid, voice_params
from telephony.twilio import signature_compute
from tracking import pools
from tracking.assignments import assignment_open
from tracking.models import Person, Tracker
from tracking.tests.factories import (
    CallFlowFactory,
    TrackerFactory,
    TrackingNumberFactory,
    VisitorSessionFactory,
    session_tracker,
)

VOICE = "/telephony/twilio/voice"


def basic_number(company, **flow):
    definition = {
        "type": "basic",
        "destination_number": "+14045551234",
        "recording_enabled": False,
        "greeting_text": None,
        "greeting_recording_url": None,
        **flow,
    }
    call_flow = CallFlowFactory(company=company, definition=definition)
    tracker = TrackerFactory(company=company, call_flow=call_flow, type="source", source={"type": "offline"})
    return TrackingNumberFactory(tracker=tracker)


def dial_twiml(
    call: Call, *, record: bool = False, whisper: bool = False, number: str = "+14045551234", step: str = "dial"
) -> str:
    cid = call.public_id
    recording = (
        f' record="record-from-answer-dual" recordingStatusCallback="{base("/telephony/twilio/recording")}'
        f'?call={cid}&amp;kind=call" recordingStatusCallbackEvent="completed absent"'
        if record
        else ""
    )
    url = f' url="{base("/telephony/twilio/whisper")}?call={cid}&amp;step={step}"' if whisper else ""
    return (
        f'<Dial action="{base("/telephony/twilio/flow")}?call={cid}&amp;step={step}&amp;event=dial&amp;attempt=0"'
        f' answerOnBridge="true"{recording} timeout="30">'
        f'<Number statusCallback="{base("/telephony/twilio/dial-status")}?call={cid}"'
        f' statusCallbackEvent="answered completed"{url}>{number}</Number></Dial>'
    )


def test_a_bad_signature_is_refused(twilio_post, company):
    number = basic_number(company)
    response = twilio_post(VOICE, voice_params(to=number.number), signature="L/OH5YylLD5NRKLltdqwSvS0BnU=")
    assert response.status_code == 403
    assert not Call.objects.exists()


def test_a_signature_with_non_ascii_characters_is_refused_not_an_error(twilio_post, company):
    number = basic_number(company)
    response = twilio_post(VOICE, voice_params(to=number.number), signature="L/OH5YylLD5NRKLltdqwSvS0Bé=")
    assert response.status_code == 403


def test_a_missing_signature_is_refused(client, company):
    number = basic_number(company)
    assert client.post(VOICE, voice_params(to=number.number)).status_code == 403


def test_a_signature_over_other_parameters_is_refused(twilio_post, company, settings):
    number = basic_number(company)
    params = voice_params(to=number.number)
    forged = signature_compute(settings.PUBLIC_BASE_URL + VOICE, {**params, "From": "+19995550100"})
    assert twilio_post(VOICE, params, signature=forged).status_code == 403


def test_the_signature_follows_twilios_documented_vector(settings):
    settings.TWILIO_AUTH_TOKEN = "12345"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    assert signature_compute("https://example.com/myapp.php?foo=1&bar=2", params) == "L/OH5YylLD5NRKLltdqwSvS0BnU="


def test_get_is_not_allowed(client):
    assert client.get(VOICE).status_code == 405


def test_a_basic_flow_rings_the_destination(twilio_post, company):
    number = basic_number(company)
    response = twilio_post(VOICE, voice_params(to=number.number))
    call = Call.objects.get()
    assert_twiml(response, f"<Response>{dial_twiml(call)}</Response>")
    assert call.public_id.startswith("CAL")
    assert (call.direction, call.status, call.tracking_phone_number) == ("inbound", "ringing", number.number)
    assert call.tracker == number.tracker
    assert call.company == company


def test_recording_and_the_whisper_are_set_on_the_dial(twilio_post, company):
    number = basic_number(company, recording_enabled=True)
    number.tracker.whisper_message = "Call from [source]"
    number.tracker.save()
    response = twilio_post(VOICE, voice_params(to=number.number))
    call = Call.objects.get()
    assert_twiml(response, f"<Response>{dial_twiml(call, record=True, whisper=True)}</Response>")


def test_a_text_greeting_wins_over_a_recorded_one(twilio_post, company):
    number = basic_number(
        company, greeting_text="This call may be recorded.", greeting_recording_url="https://cdn.example.com/hi.mp3"
    )
    response = twilio_post(VOICE, voice_params(to=number.number))
    call = Call.objects.get()
    assert_twiml(response, f"<Response><Say>This call may be recorded.</Say>{dial_twiml(call)}</Response>")


def test_a_recorded_greeting_is_played(twilio_post, company):
    number = basic_number(company, greeting_recording_url="https://cdn.example.com/hi.mp3")
    response = twilio_post(VOICE, voice_params(to=number.number))
    call = Call.objects.get()
    assert_twiml(response, f"<Response><Play>https://cdn.example.com/hi.mp3</Play>{dial_twiml(call)}</Response>")


def test_a_retried_call_sid_is_not_recorded_twice(twilio_post, company):
    number = basic_number(company)
    params = voice_params(to=number.number)
    first = twilio_post(VOICE, params)
    second = twilio_post(VOICE, params)
    assert Call.objects.count() == 1
    assert first.content == second.content


def test_an_unknown_number_gets_a_polite_message(twilio_post, db):
    response = twilio_post(VOICE, voice_params(to="+19195550100"))
    assert_twiml(
        response,
        "<Response><Say>We are sorry, the number you dialed is not in service. Please check the number and try"
        " again.</Say><Hangup/></Response>",
    )
    assert not Call.objects.exists()


def test_a_disabled_tracker_does_not_take_calls(twilio_post, company):
    number = basic_number(company)
    number.tracker.status = "disabled"
    number.tracker.save()
    response = twilio_post(VOICE, voice_params(to=number.number))
    assert b"not in service" in response.content


def test_caller_facts_come_from_twilios_parameters(twilio_post, company):
    number = basic_number(company)
    twilio_post(VOICE, voice_params(to=number.number, from_="+13035550123", CallerName="RUEGSEGGER SIMO"))
    call = Call.objects.get()
    assert call.customer_phone_number == "+13035550123"
    assert (call.customer_name, call.customer_city, call.customer_state, call.customer_country, call.customer_zip) == (
        "RUEGSEGGER SIMO",
        "DENVER",
        "CO",
        "US",
        "80202",
    )
    assert (call.first_call, call.prior_calls) == (True, 0)


def test_legacy_parameter_names_are_understood(twilio_post, company):
    number = basic_number(company)
    params = {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": new_call_sid(),
        "Called": number.number,
        "Caller": "+13035550123",
        "CallerCity": "DENVER",
        "CallerState": "CO",
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    twilio_post(VOICE, params)
    call = Call.objects.get()
    assert (call.customer_phone_number, call.customer_city, call.customer_state) == ("+13035550123", "DENVER", "CO")


def test_repeat_callers_group_under_one_person(twilio_post, company, other_company):
    number = basic_number(company)
    for _ in range(3):
        twilio_post(VOICE, voice_params(to=number.number, from_="+13035550123"))
    twilio_post(VOICE, voice_params(to=number.number, from_="+13035550188"))
    calls = list(Call.objects.filter(customer_phone_number="+13035550123").order_by("start_time"))
    assert [(c.first_call, c.prior_calls) for c in calls] == [(True, 0), (False, 1), (False, 2)]
    assert len({c.person_id for c in calls}) == 1
    assert Person.objects.filter(company=company).count() == 2
    assert Call.objects.filter(pk=calls[0].pk).with_total_calls().get().total_calls == 3
    # Another company's lead with the same number is a different person.
    other = basic_number(other_company)
    twilio_post(VOICE, voice_params(to=other.number, from_="+13035550123"))
    other_call = Call.objects.get(company=other_company)
    assert other_call.first_call
    assert other_call.person_id != calls[0].person_id


def test_anonymous_callers_are_recorded_without_a_person(twilio_post, company):
    number = basic_number(company)
    twilio_post(VOICE, voice_params(to=number.number, from_="anonymous"))
    call = Call.objects.get()
    assert call.customer_phone_number == "anonymous"
    assert call.person is None


# --- attribution ---------------------------------------------------------------------------


def hold(tracker, session, at):
    """What the DNI endpoint does for a visit: take a pool number in Redis, log the hold."""
    from callrail.redis import get_redis

    got = pools.allocate(
        get_redis(),
        scope=tracker.public_id,
        session_key=session.session_key,
        timeout=tracker.session_timeout,
        pool=True,
        now=at.timestamp(),
    )
    number = tracker.numbers.get(number=got.number)
    assignment_open(tracker=tracker, tracking_number=number, session=session, at=at)
    return number


@pytest.fixture
def visit(company):
    return VisitorSessionFactory(
        company=company,
        landing_url="https://example.com/plumbing?utm_source=google&gclid=abc",
        referrer_url="https://www.google.com/",
        last_url="https://example.com/contact",
        utm_source="google",
        utm_medium="cpc",
        utm_campaign="spring",
        utm_term="emergency plumber",
        gclid="abc",
        source="google_paid",
        medium="cpc",
        device_type="mobile",
        cookies={"_ga": "GA1.2.3.4"},
    )


@pytest.mark.parametrize("flush_redis", [False, True], ids=["live-hold", "after-flushall"])
def test_a_pool_number_call_is_attributed_to_the_visit_holding_it(twilio_post, company, visit, flush_redis):
    from callrail.redis import get_redis

    tracker = session_tracker(company=company, size=4)
    others = [VisitorSessionFactory(company=company) for _ in range(2)]
    now = timezone.now() - timedelta(minutes=5)
    for other in others:
        hold(tracker, other, now - timedelta(seconds=10))
    number = hold(tracker, visit, now)
    if flush_redis:
        get_redis().flushall()
    twilio_post(VOICE, voice_params(to=number.number))
    call = Call.objects.get()
    assert call.session == visit
    assert (call.source, call.medium, call.campaign, call.keywords) == (
        "google_paid",
        "cpc",
        "spring",
        "emergency plumber",
    )
    assert call.landing_page_url == "https://example.com/plumbing?utm_source=google&gclid=abc"
    assert call.referring_url == "https://www.google.com/"
    assert call.last_requested_url == "https://example.com/contact"
    assert (call.utm_source, call.utm_medium, call.utm_campaign, call.utm_term) == (
        "google",
        "cpc",
        "spring",
        "emergency plumber",
    )
    assert (call.gclid, call.device_type, call.cookies) == ("abc", "mobile", {"_ga": "GA1.2.3.4"})
    assert call.source_name == tracker.name
    visit.refresh_from_db()
    assert visit.person == call.person


def test_a_source_tracker_call_takes_the_trackers_source(twilio_post, company):
    tracker = TrackerFactory(
        company=company,
        type="source",
        name="Google Ads number",
        campaign_name="Brand",
        source={"type": "search", "search_engine": "google", "search_type": "paid"},
    )
    number = TrackingNumberFactory(tracker=tracker)
    twilio_post(VOICE, voice_params(to=number.number))
    call = Call.objects.get()
    assert (call.source, call.medium, call.campaign, call.source_name) == (
        "google_paid",
        "cpc",
        "Brand",
        "Google Ads number",
    )
    assert call.session is None


# --- never drop a call ----------------------------------------------------------------------


def test_a_failing_attribution_still_rings_the_destination(twilio_post, company, visit):
    tracker = session_tracker(company=company, size=4)
    number = hold(tracker, visit, timezone.now())
    with mock.patch(
        "telephony.services.callers.session_for_number", side_effect=RuntimeError("redis and db both down")
    ):
        response = twilio_post(VOICE, voice_params(to=number.number))
    call = Call.objects.get()
    assert call.session is None
    assert_twiml(response, f"<Response>{dial_twiml(call, record=True)}</Response>")


def test_a_failing_database_still_rings_the_destination(twilio_post, company):
    number = basic_number(company, recording_enabled=True)
    with mock.patch("telephony.services.inbound.caller_lookup", side_effect=OperationalError("connection lost")):
        response = twilio_post(VOICE, voice_params(to=number.number))
    assert_twiml(response, "<Response><Dial>+14045551234</Dial></Response>")
    assert not Call.objects.exists()


def test_a_broken_call_flow_still_rings_its_destination(twilio_post, company):
    number = basic_number(company)
    flow = number.tracker.call_flow
    flow.definition = {"type": "basic", "destination_number": "+14045551234", "greeting_recording_url": 42}
    flow.save()
    response = twilio_post(VOICE, voice_params(to=number.number))
    assert_twiml(response, "<Response><Dial>+14045551234</Dial></Response>")


def test_a_lost_database_connection_uses_the_last_known_destination(twilio_post, company):
    number = basic_number(company)
    twilio_post(VOICE, voice_params(to=number.number))
    with mock.patch("telephony.services.lookups.tracking_number_for_call", side_effect=OperationalError("down")):
        response = twilio_post(VOICE, voice_params(to=number.number))
    assert_twiml(response, "<Response><Dial>+14045551234</Dial></Response>")
    flow = number.tracker.call_flow
    flow.definition = {**flow.definition, "destination_number": "+14045550177"}
    flow.save()
    twilio_post(VOICE, voice_params(to=number.number))
    with mock.patch("telephony.services.lookups.tracking_number_for_call", side_effect=OperationalError("down")):
        response = twilio_post(VOICE, voice_params(to=number.number))
    assert_twiml(response, "<Response><Dial>+14045550177</Dial></Response>")


def test_a_taken_numeric_id_is_drawn_again(twilio_post, company):
    number = basic_number(company)
    twilio_post(VOICE, voice_params(to=number.number))
    taken = Call.objects.get().numeric_id
    with mock.patch("accounts.fields.new_numeric_id", side_effect=[taken, taken + 1]):
        response = twilio_post(VOICE, voice_params(to=number.number))
    assert b"/telephony/twilio/flow?call=" in response.content
    assert sorted(Call.objects.values_list("numeric_id", flat=True)) == [taken, taken + 1]


def test_a_changed_flow_applies_to_the_next_call(twilio_post, company):
    number = basic_number(company)
    twilio_post(VOICE, voice_params(to=number.number))
    flow = number.tracker.call_flow
    flow.definition = {**flow.definition, "destination_number": "+14045559999"}
    flow.save()
    response = twilio_post(VOICE, voice_params(to=number.number))
    assert b">+14045559999</Number>" in response.content
    number.tracker.status = "disabled"
    number.tracker.save()
    assert b"not in service" in twilio_post(VOICE, voice_params(to=number.number)).content


def test_other_processes_see_changes_on_their_next_call(twilio_post, company, settings, redis_client):
    number = basic_number(company)
    twilio_post(VOICE, voice_params(to=number.number))
    # A change this process did not see: the cached answer stands...
    Tracker.objects.filter(pk=number.tracker_id).update(status="disabled")
    assert b"<Dial" in twilio_post(VOICE, voice_params(to=number.number)).content
    # ...until another process's save bumps the shared version.
    redis_client.incr(NUMBERS_VERSION_KEY)
    assert b"not in service" in twilio_post(VOICE, voice_params(to=number.number)).content
    Tracker.objects.filter(pk=number.tracker_id).update(status="active")
    settings.TELEPHONY_NUMBER_CACHE_TTL = 0
    assert b"<Dial" in twilio_post(VOICE, voice_params(to=number.number)).content


def test_without_redis_the_number_is_read_from_the_database(twilio_post, company):
    import redis

    number = basic_number(company)
    with mock.patch("callrail.versioned_cache.get_redis", side_effect=redis.ConnectionError("down")):
        response = twilio_post(VOICE, voice_params(to=number.number))
    assert b"<Dial" in response.content
    assert Call.objects.count() == 1
