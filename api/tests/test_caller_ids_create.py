from unittest import mock

import pytest
from django.conf import settings

from accounts.models import User
from api.tests.factories import TrackerFactory, TrackingNumberFactory
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_caller_ids_list import CALLER_ID_KEYS
from telephony.carrier import CarrierError
from telephony.models import OutboundCallerId
from telephony.simulated_carrier import SimulatedCarrierRequest
from telephony.twilio import signature_compute

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/caller_ids.json"


@pytest.fixture
def tracking_number(company):
    return TrackingNumberFactory(tracker=TrackerFactory(company=company))


def twilio_post(client, url, params):
    from urllib.parse import urlencode

    path = url.removeprefix(settings.PUBLIC_BASE_URL)
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature_compute(settings.PUBLIC_BASE_URL + path, params),
    )


def test_it_registers_a_number_and_places_the_verification_call(api_client, client, account, company, tracking_number):
    body = {"phone_number": "(404) 770-4070", "name": "Widget Shop", "company_id": company.numeric_id}
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == CALLER_ID_KEYS
    assert (data["phone_number"], data["verified"]) == ("+14047704070", False)
    assert len(data["validation_code"]) == 6 and data["validation_code"].isdigit()
    call = SimulatedCarrierRequest.objects.get(action="place_call")
    assert (call.payload["To"], call.payload["From"]) == ("+14047704070", tracking_number.number)

    # The callee answers, hears the prompt and keys in the code.
    answer = twilio_post(client, call.payload["Url"], {"CallSid": call.sid, "CallStatus": "in-progress"})
    assert answer.status_code == 200
    assert b"<Gather" in answer.content and b'numDigits="6"' in answer.content
    action = answer.content.split(b'action="')[1].split(b'"')[0].decode().replace("&amp;", "&")
    wrong = twilio_post(
        client, action, {"CallSid": call.sid, "Digits": "000000" if data["validation_code"] != "000000" else "111111"}
    )
    assert b"not correct" in wrong.content
    right = twilio_post(client, action, {"CallSid": call.sid, "Digits": data["validation_code"]})
    assert b"verified" in right.content
    assert OutboundCallerId.objects.get(numeric_id=data["id"]).verified is True
    shown = api_client.get(f"/v3/a/{account.public_id}/companies/{company.public_id}.json?fields=verified_caller_ids")
    assert shown.json()["verified_caller_ids"] == [{"name": "Widget Shop", "phone_number": "+14047704070"}]


def test_unsigned_verification_callbacks_are_refused(client, account, company, tracking_number):
    row = OutboundCallerId.objects.create(
        account=account, company=company, phone_number="+14045550000", name="x", validation_code="123456"
    )
    response = client.post(f"/telephony/caller-ids/{row.numeric_id}/digits", {"Digits": "123456"})
    assert response.status_code == 403
    row.refresh_from_db()
    assert row.verified is False


def test_registering_again_issues_a_new_code(api_client, account, company, tracking_number):
    body = {"phone_number": "+14047704070", "name": "Widget Shop", "company_id": company.public_id}
    first = api_client.post(url(account), body, format="json").json()
    second = api_client.post(url(account), body, format="json").json()
    assert first["id"] == second["id"]
    assert OutboundCallerId.objects.count() == 1
    assert SimulatedCarrierRequest.objects.filter(action="place_call").count() == 2


def test_it_validates(api_client, account, company, tracking_number):
    for body in (
        {"phone_number": "12", "name": "x", "company_id": company.public_id},
        {"phone_number": "+14047704070", "company_id": company.public_id},
        {"phone_number": "+14047704070", "name": "x"},
    ):
        response = api_client.post(url(account), body, format="json")
        assert response.status_code == 400, body
    OutboundCallerId.objects.create(
        account=account, company=company, phone_number="+14047704070", name="x", verified=True
    )
    response = api_client.post(
        url(account), {"phone_number": "+14047704070", "name": "x", "company_id": company.public_id}, format="json"
    )
    assert response.status_code == 422


def test_it_needs_a_number_to_call_from(api_client, account, company):
    response = api_client.post(
        url(account), {"phone_number": "+14047704070", "name": "x", "company_id": company.public_id}, format="json"
    )
    assert response.status_code == 422
    assert "tracking number" in response.json()["error"]
    assert not OutboundCallerId.objects.exists()


def test_a_carrier_failure_is_a_503_and_keeps_nothing(api_client, account, company, tracking_number):
    with mock.patch(
        "telephony.simulated_carrier.SimulatedCarrier.place_call", autospec=True, side_effect=CarrierError("down")
    ):
        response = api_client.post(
            url(account), {"phone_number": "+14047704070", "name": "x", "company_id": company.public_id}, format="json"
        )
    assert response.status_code == 503
    assert not OutboundCallerId.objects.exists()


def test_reporting_users_cannot_register(account, company, tracking_number):
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    body = {"phone_number": "+14047704070", "name": "x", "company_id": company.public_id}
    assert reporting.post(url(account), body, format="json").status_code == 403


def test_another_accounts_company_is_not_found(api_client, account, other_company):
    body = {"phone_number": "+14047704070", "name": "x", "company_id": other_company.public_id}
    assert api_client.post(url(account), body, format="json").status_code == 404


def test_it_needs_a_key(account, company, tracking_number):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/caller_ids.json")


def test_it_answers_429_past_the_limit(api_client, account, company, tracking_number, settings):
    assert_rate_limited(
        api_client,
        "POST",
        f"/v3/a/{account.public_id}/caller_ids.json",
        settings,
        body={"phone_number": "+14047704070", "name": "x", "company_id": company.public_id},
    )
