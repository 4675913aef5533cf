"""Google Ads uploads: the request objects built with Google's client library, and each
conversion's result from a partial failure. Nothing goes over the network: the upload
service is replaced at the point the library would send the request."""

from datetime import datetime
from decimal import Decimal
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from google.ads.googleads.client import GoogleAdsClient
from google.ads.googleads.errors import GoogleAdsException
from google.api_core import exceptions as google_exceptions
from google.protobuf import any_pb2
from google.rpc import status_pb2

from api.tests.factories import CallFactory
from integrations import google_ads
from integrations.conversions import conversion_settings_update
from integrations.models import ConversionDelivery
from integrations.tasks import conversion_google_ads_upload
from telephony import signals
from telephony.models import Call

pytestmark = pytest.mark.django_db


class FakeUploadService:
    """ConversionUploadService with the request captured and the answer given by the test."""

    # The Google Ads client the fixture built, for the tests to build responses with.
    client: GoogleAdsClient

    def __init__(self, answer):
        self.answer = answer
        self.requests = []

    def upload_click_conversions(self, *, request):
        self.requests.append(request)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer(request)


@pytest.fixture
def config(company):
    return conversion_settings_update(
        company=company,
        call_conversion={"enabled": True, "min_duration": 60, "tags": [], "value": Decimal("75.00"), "currency": "USD"},
        google_ads_customer_id="1234567890",
        google_ads_login_customer_id="1112223333",
        google_ads_conversion_action="55555",
        google_ads_developer_token="dev-token",
        google_ads_refresh_token="1//refresh",
    )


@pytest.fixture
def service(monkeypatch, settings, config):
    settings.GOOGLE_ADS_CLIENT_ID = "client.apps.googleusercontent.com"
    settings.GOOGLE_ADS_CLIENT_SECRET = "client-secret"
    # The library trades the refresh token for an access token as it builds the client.
    monkeypatch.setattr("google.oauth2.credentials.Credentials.refresh", lambda self, request: None)
    client = google_ads.google_ads_client(config)
    fake = FakeUploadService(lambda request: client.get_type("UploadClickConversionsResponse"))
    real_get_service = client.get_service
    monkeypatch.setattr(
        client,
        "get_service",
        lambda name, **kw: fake if name == "ConversionUploadService" else real_get_service(name, **kw),
    )
    monkeypatch.setattr(google_ads, "google_ads_client", lambda config: client)
    fake.client = client
    return fake


def complete(company, **fields):
    call = CallFactory(company=company, **fields)
    with mock.patch("integrations.tasks.conversion_google_ads_upload.delay"):
        signals.call_completed.send(sender=Call, call=call)
    return call


def partial_failure(client: GoogleAdsClient, request: Any, bad: dict[int, str]) -> Any:
    """The response Google gives when the conversions at the ``bad`` indexes are refused."""
    response = client.get_type("UploadClickConversionsResponse")
    failure = client.get_type("GoogleAdsFailure")
    for index, message in bad.items():
        error = client.get_type("GoogleAdsError")
        error.error_code.conversion_upload_error = client.get_type(
            "ConversionUploadErrorEnum"
        ).ConversionUploadError.UNPARSEABLE_GCLID
        error.message = message
        element = type(error.location).FieldPathElement(field_name="conversions", index=index)
        error.location.field_path_elements.append(element)
        failure.errors.append(error)
    detail = any_pb2.Any(
        type_url="type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
        value=type(failure).serialize(failure),
    )
    response.partial_failure_error = status_pb2.Status(code=3, message="partial failure", details=[detail])
    for index, conversion in enumerate(request.conversions):
        result = client.get_type("ClickConversionResult")
        if index not in bad:
            result.gclid = conversion.gclid
            result.conversion_action = conversion.conversion_action
        response.results.append(result)
    return response


def test_the_request_objects(company, config, service):
    start = datetime(2026, 11, 20, 14, 5, 9, tzinfo=ZoneInfo("UTC"))
    complete(company, duration=90, gclid="Cj0-first", start_time=start)
    complete(company, duration=90, landing_page_url="https://example.com/?gbraid=0AAA-gb", start_time=start)
    complete(company, duration=20, gclid="Cj0-short")
    assert google_ads.google_ads_upload(company.pk) is google_ads.Outcome.DONE
    (request,) = service.requests
    assert type(request).__name__ == "UploadClickConversionsRequest"
    assert request.customer_id == "1234567890"
    assert request.partial_failure is True
    first, second = request.conversions
    assert type(first).__name__ == "ClickConversion"
    assert first.gclid == "Cj0-first" and not first.gbraid
    assert second.gbraid == "0AAA-gb" and not second.gclid
    assert first.conversion_action == "customers/1234567890/conversionActions/55555"
    # The company's zone (New York, 5 hours behind UTC in November), as Google writes times.
    assert first.conversion_date_time == "2026-11-20 09:05:09-05:00"
    assert (first.conversion_value, first.currency_code) == (75.0, "USD")
    assert service.client.login_customer_id == "1112223333"
    assert service.client.developer_token == "dev-token"


def test_a_partial_failure_is_recorded_per_conversion(company, config, service):
    calls = [complete(company, duration=90, gclid=f"Cj0-{i}") for i in range(3)]
    service.answer = lambda request: partial_failure(service.client, request, {1: "The click ID could not be decoded."})
    conversion_google_ads_upload.apply(args=(company.pk,))
    deliveries = {d.conversion.call_id: d for d in ConversionDelivery.objects.select_related("conversion")}
    statuses = [(deliveries[c.pk].status, deliveries[c.pk].reason) for c in calls]
    assert statuses == [
        (ConversionDelivery.Status.SENT, ""),
        (
            ConversionDelivery.Status.REJECTED,
            "conversion_upload_error.UNPARSEABLE_GCLID: The click ID could not be decoded.",
        ),
        (ConversionDelivery.Status.SENT, ""),
    ]
    assert all(d.sent_at for d in deliveries.values() if d.status == ConversionDelivery.Status.SENT)
    # Uploaded once: nothing is pending, so another run sends no request.
    assert google_ads.google_ads_upload(company.pk) is google_ads.Outcome.SKIPPED
    assert len(service.requests) == 1


def test_a_transient_failure_is_retried_and_a_refusal_is_not(company, config, service):
    complete(company, duration=90, gclid="Cj0-a")
    service.answer = google_exceptions.ServiceUnavailable("try later")
    assert google_ads.google_ads_upload(company.pk) is google_ads.Outcome.RETRY
    delivery = ConversionDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (ConversionDelivery.Status.PENDING, 1)

    failure = service.client.get_type("GoogleAdsFailure")
    error = service.client.get_type("GoogleAdsError")
    error.message = "The developer token is not approved."
    failure.errors.append(error)
    service.answer = GoogleAdsException(google_exceptions.PermissionDenied("denied"), None, failure, "req-1")
    assert google_ads.google_ads_upload(company.pk) is google_ads.Outcome.DONE
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (
        ConversionDelivery.Status.REJECTED,
        "The developer token is not approved.",
    )


def test_calls_without_a_click_id_are_not_sent_to_google_ads(company, config, service):
    complete(company, duration=90, gclid="")
    assert not ConversionDelivery.objects.exists()
    assert google_ads.google_ads_upload(company.pk) is google_ads.Outcome.SKIPPED
