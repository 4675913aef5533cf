"""Inputs that used to answer 500: each now gets a 4xx in the endpoint's own error shape."""

import json
from urllib.parse import urlencode

import pytest

from integrations.models import Integration, IntegrationTrigger
from telephony.tests.conftest import voice_params
from tracking.models import FormSubmission

pytestmark = pytest.mark.django_db

TWILIO_PATHS = [
    "/telephony/twilio/voice",
    "/telephony/twilio/status",
    "/telephony/twilio/sms",
    "/telephony/twilio/flow",
    "/telephony/twilio/dial-status",
    "/telephony/twilio/recording",
    "/telephony/twilio/outbound",
    "/telephony/twilio/sms-status",
    "/telephony/twilio/transcription",
    "/telephony/twilio/whisper",
    "/telephony/caller-ids/1/verify",
    "/telephony/caller-ids/1/digits",
    "/telephony/caller-ids/1/status",
]
DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize("path", TWILIO_PATHS)
@pytest.mark.parametrize("body", [json.dumps({"To": "+14045550142"}), "[1, 2]", DEEP])
def test_twilio_endpoints_refuse_a_json_body_before_checking_its_signature(client, path, body):
    response = client.post(path, data=body, content_type="application/json", HTTP_X_TWILIO_SIGNATURE="abc")
    assert response.status_code == 403, response.content


def test_a_form_encoded_request_with_a_bad_signature_is_still_403(client):
    response = client.post(
        "/telephony/twilio/voice",
        data=urlencode(voice_params(to="+14045550142")),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE="forged",
    )
    assert response.status_code == 403


@pytest.mark.parametrize("endpoint", ["session", "heartbeat", "form"])
def test_dni_endpoints_refuse_deep_and_oversized_json(client, company, endpoint):
    company.form_capture = True
    company.save()
    deep = client.post(f"/dni/{company.public_id}/{endpoint}", data=DEEP, content_type="text/plain")
    assert deep.status_code == 400 and "error" in deep.json()
    big = client.post(f"/dni/{company.public_id}/{endpoint}", data="x" * 40_000, content_type="text/plain")
    assert big.status_code == 400 and "too large" in big.json()["error"]


def test_the_form_endpoint_refuses_a_company_without_form_capture(client, company):
    assert not company.form_capture
    body = {"v": "visitor0001", "s": "session0001", "u": "https://example.com/", "f": {"email": "a@example.com"}}
    response = client.post(
        f"/dni/{company.public_id}/form",
        data=json.dumps(body),
        content_type="text/plain",
        HTTP_USER_AGENT="Mozilla/5.0 Firefox/120.0",
    )
    assert response.status_code == 403 and "error" in response.json()
    assert not FormSubmission.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v3/a/%C2%B3/calls.json"),
        ("get", "/v3/a/{account}/caller_ids/%C2%B9.json"),
        ("put", "/v3/a/{account}/calls/%C2%B9.json"),
        ("get", "/v3/a/{account}/tags/%C2%B9.json"),
        ("get", "/v3/a/{account}/integrations/%D9%A3.json"),
        ("get", "/v3/a/{account}/tags/99999999999999999999999.json"),
    ],
)
def test_ids_with_non_ascii_digits_are_not_found(api_client, account, method, path):
    response = getattr(api_client, method)(path.format(account=account.public_id), {}, format="json")
    assert response.status_code in (400, 404), response.content
    assert "error" in response.json()


@pytest.mark.parametrize("field", ["min_duration", "max_duration"])
def test_trigger_durations_beyond_their_column_are_a_400(api_client, account, company, field):
    Integration.objects.create(
        account=account, company=company, type="Webhooks", config={"post_call_webhook": ["https://example.com/h"]}
    )
    response = api_client.post(
        f"/v3/a/{account.public_id}/integration_triggers.json",
        {"company_id": company.public_id, field: 99999999999999999999},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]
    assert not IntegrationTrigger.objects.filter(**{f"{field}__isnull": False}).exists()


def test_api_bodies_nested_too_deep_are_a_400_in_the_error_shape(api_client, account):
    response = api_client.generic(
        "POST", f"/v3/a/{account.public_id}/companies.json", DEEP, content_type="application/json"
    )
    assert response.status_code == 400 and "nested" in response.json()["error"]


def test_api_bodies_over_the_limit_are_a_413_in_the_error_shape(api_client, account, settings):
    body = json.dumps({"name": "x" * (settings.API_MAX_BODY_BYTES + 10)})
    response = api_client.generic(
        "POST", f"/v3/a/{account.public_id}/companies.json", body, content_type="application/json"
    )
    assert response.status_code == 413 and "too large" in response.json()["error"]


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://127.1/",
        "http://0x7f000001/",
        "http://localhost./",
        "http://LOCALHOST/hook",
        "http://0177.0.0.1/",
        "http://10.1/",
        "http://[::1]/",
        "http://app.localhost/",
    ],
)
def test_webhook_urls_naming_private_hosts_in_any_spelling_are_refused_when_saved(api_client, account, company, url):
    response = api_client.post(
        f"/v3/a/{account.public_id}/integrations.json",
        {"company_id": company.public_id, "type": "Webhooks", "config": {"post_call_webhook": [url]}},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "private" in response.json()["error"]
    assert not Integration.objects.exists()
