import pytest

from accounts.models import User
from api.tests.factories import TrackerFactory, TrackingNumberFactory
from api.v3.serializers.calls import WRITE_RESPONSE_FIELDS
from telephony.models import Call

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/calls.json"


@pytest.fixture
def caller_id(company):
    tracker = TrackerFactory(company=company)
    return TrackingNumberFactory(tracker=tracker, number="+17703334455").number


def body(number, **extra):
    return {
        "caller_id": number,
        "business_phone_number": "+14045556666",
        "customer_phone_number": "+14044442233",
        "recording_enabled": True,
        "outbound_greeting_text": "These are not the droids you are looking for.",
        **extra,
    }


def test_it_starts_an_outbound_call(api_client, account, company, caller_id):
    response = api_client.post(url(account), body(caller_id), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert set(data) == set(WRITE_RESPONSE_FIELDS)
    assert data["direction"] == "outbound"
    assert data["duration"] is None
    assert data["customer_phone_number"] == "+14044442233"
    assert Call.objects.filter(public_id=data["id"], company=company).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"customer_phone_number": ""},
        {"business_phone_number": "+442071838750"},
        {"caller_id": "+14049999999"},
        {"agent_id": "USR0000"},
    ],
)
def test_it_rejects_bad_calls(api_client, account, caller_id, change):
    response = api_client.post(url(account), body(caller_id, **change), format="json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not Call.objects.exists()


def test_outbound_rate_limit(api_client, account, caller_id, settings):
    from callrail.redis import get_redis

    get_redis().flushdb()
    settings.API_RATE_LIMITS = {"outbound_call": (1, 2000)}
    assert api_client.post(url(account), body(caller_id), format="json").status_code == 201
    assert api_client.post(url(account), body(caller_id), format="json").status_code == 429


def test_reporting_users_cannot_place_calls(account, company, caller_id, make_api_client):
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    reporter.companies.add(company)
    assert make_api_client(reporter).post(url(account), body(caller_id), format="json").status_code == 403
