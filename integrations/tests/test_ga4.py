"""GA4: one Measurement Protocol event per call conversion, to a real local receiver."""

import json
from decimal import Decimal
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest

from accounts.models import Tag
from api.tests.factories import CallFactory
from integrations.conversions import conversion_settings_update
from integrations.ga4 import EVENT_NAME, Outcome, ga4_send
from integrations.models import ConversionDelivery
from integrations.tasks import conversion_ga4_send
from telephony import signals
from telephony.models import Call

pytestmark = pytest.mark.django_db

GA = {"_ga": "GA1.1.1234567890.1700000000", "_ga_ABC1234": "GS1.1.1700000500.3.1.1700000600.0.0.0"}


@pytest.fixture
def ga4(company, receiver, settings):
    settings.GA4_ENDPOINT = receiver.url("/mp/collect")
    return conversion_settings_update(
        company=company,
        call_conversion={"enabled": True, "min_duration": 60, "tags": [], "value": Decimal("40"), "currency": "USD"},
        ga4_measurement_id="G-ABC1234",
        ga4_api_secret="s3cret",
    )


def complete(company, django_capture_on_commit_callbacks, **fields):
    call = CallFactory(company=company, source="google_paid", **fields)
    with (
        mock.patch("integrations.tasks.conversion_ga4_send.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        signals.call_completed.send(sender=Call, call=call)
    return call, [c.args[0] for c in delay.call_args_list]


def test_one_event_per_qualifying_call_under_the_visitors_client_id(
    company, ga4, receiver, django_capture_on_commit_callbacks
):
    call, queued = complete(company, django_capture_on_commit_callbacks, duration=95, cookies=GA, first_call=True)
    _, none_short = complete(company, django_capture_on_commit_callbacks, duration=20, cookies=GA)
    _, none_without_ga = complete(company, django_capture_on_commit_callbacks, duration=95, cookies={})
    assert len(queued) == 1 and none_short == [] and none_without_ga == []
    receiver.answer(204)
    for delivery_pk in queued:
        conversion_ga4_send.apply(args=(delivery_pk,))
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    query = parse_qs(urlsplit(request.path).query)
    assert urlsplit(request.path).path == "/mp/collect"
    assert query == {"measurement_id": ["G-ABC1234"], "api_secret": ["s3cret"]}
    body = json.loads(request.body)
    assert body["client_id"] == "1234567890.1700000000"
    assert body["timestamp_micros"] == int(call.start_time.timestamp() * 1_000_000)
    assert body["events"] == [
        {
            "name": EVENT_NAME,
            "params": {
                "call_id": call.public_id,
                "source": "google_paid",
                "duration": 95,
                "first_time": True,
                "currency": "USD",
                "engagement_time_msec": 1,
                "value": 40.0,
                "session_id": "1700000500",
            },
        }
    ]
    delivery = ConversionDelivery.objects.get(pk=queued[0])
    assert (delivery.status, delivery.attempts) == (ConversionDelivery.Status.SENT, 1)


def test_a_500_then_a_204_delivers_it_once(company, ga4, receiver, django_capture_on_commit_callbacks):
    _, queued = complete(company, django_capture_on_commit_callbacks, duration=95, cookies=GA)
    receiver.answer(500, 204)
    with mock.patch("integrations.tasks._backoff", return_value=0):
        conversion_ga4_send.apply(args=(queued[0],))
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    delivery = ConversionDelivery.objects.get(pk=queued[0])
    assert (delivery.status, delivery.attempts) == (ConversionDelivery.Status.SENT, 2)
    # Sent is sent: another run (a duplicate task, a later edit of the call) sends nothing.
    assert ga4_send(queued[0]) is Outcome.SKIPPED
    tag = Tag.objects.create(account=company.account, company=company, name="Later")
    Call.objects.get(pk=delivery.conversion.call_id).tags.add(tag)
    signals.call_modified.send(sender=Call, call=delivery.conversion.call, changes=["tags"])
    assert len(receiver.requests) == 2
    assert ConversionDelivery.objects.count() == 1


def test_a_4xx_is_a_rejection_with_its_reason_and_not_retried(
    company, ga4, receiver, django_capture_on_commit_callbacks
):
    _, queued = complete(company, django_capture_on_commit_callbacks, duration=95, cookies=GA)
    receiver.answer(400)
    conversion_ga4_send.apply(args=(queued[0],))
    delivery = ConversionDelivery.objects.get(pk=queued[0])
    assert delivery.status == ConversionDelivery.Status.REJECTED
    assert delivery.reason.startswith("HTTP 400")
    assert len(receiver.requests) == 1


def test_retries_stop_and_the_delivery_fails(company, ga4, receiver, django_capture_on_commit_callbacks):
    _, queued = complete(company, django_capture_on_commit_callbacks, duration=95, cookies=GA)
    receiver.default.status = 503
    with (
        mock.patch("integrations.tasks._backoff", return_value=0),
        mock.patch("integrations.tasks.CONVERSION_RETRIES", 2),
    ):
        conversion_ga4_send.apply(args=(queued[0],))
    delivery = ConversionDelivery.objects.get(pk=queued[0])
    assert delivery.status == ConversionDelivery.Status.FAILED
    assert delivery.attempts == 3
