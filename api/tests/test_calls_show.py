import pytest

from api.tests.factories import CallFactory
from api.v3.serializers.calls import DEFAULT_FIELDS, EXTRA_FIELDS, CallSerializer
from integrations.models import Integration
from integrations.v3_shapes import CALL_FIELDS

pytestmark = pytest.mark.django_db


def url(account, call_id, query=""):
    return f"/v3/a/{account.public_id}/calls/{call_id}.json" + (f"?{query}" if query else "")


def test_it_shows_a_call_by_public_or_numeric_id(api_client, account, company):
    call = CallFactory(company=company)
    for identifier in (call.public_id, call.numeric_id):
        response = api_client.get(url(account, identifier))
        assert response.status_code == 200
        assert set(response.json()) == set(DEFAULT_FIELDS)
        assert response.json()["id"] == call.public_id


def test_it_offers_the_single_call_fields(api_client, account, company):
    call = CallFactory(company=company, cookies={"mycookie": "v1", "_ga": "GA1.2.3"})
    Integration.objects.create(account=account, company=company, type="Custom", config={"grab_cookies": ["mycookie"]})
    response = api_client.get(url(account, call.public_id, "fields=" + ",".join(EXTRA_FIELDS)))
    body = response.json()
    assert set(body) == set(DEFAULT_FIELDS) | set(EXTRA_FIELDS)
    assert body["integration_data"] == [{"integration": "Custom", "data": {"mycookie": "v1"}}]
    assert body["ga"] == "GA1.2.3"
    assert body["conversational_transcript"] is None


def test_it_renders_every_field_for_webhook_payloads(account, company):
    call = CallFactory(company=company)
    data = CallSerializer(call, context={"all_fields": True}).data
    assert set(data) == set(DEFAULT_FIELDS) | set(EXTRA_FIELDS)


def test_it_hides_other_accounts_calls(api_client, account, other_company):
    theirs = CallFactory(company=other_company)
    response = api_client.get(url(account, theirs.public_id))
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_it_needs_a_key(client, account, company):
    call = CallFactory(company=company)
    assert client.get(url(account, call.public_id)).status_code == 401


def test_times_follow_the_time_zone_parameter(api_client, account, company):
    call = CallFactory(company=company)
    body = api_client.get(url(account, call.public_id, "time_zone=Asia/Kolkata")).json()
    assert body["start_time"].endswith("+05:30")
    assert api_client.get(url(account, call.public_id, "time_zone=Mars/Olympus")).status_code == 400


@pytest.mark.parametrize(
    ("fields", "expected", "label"),
    [
        ({"answered": False, "flow_state": {"dialed": True}}, "missed", "Missed Call"),
        # Hung up in the greeting or a menu: no phone ever rang.
        ({"answered": False, "flow_state": {}}, "abandonded", "Abandoned Call"),
        ({"answered": False, "flow_state": {"dialed": True}, "status": "canceled"}, "abandonded", "Abandoned Call"),
        ({"answered": True, "flow_state": {"dialed": True}}, "answered", "Answered Call"),
        ({"voicemail": True, "answered": False}, "voicemail", "Voicemail"),
    ],
)
def test_call_type_follows_what_happened_to_the_caller(api_client, account, company, fields, expected, label):
    call = CallFactory(company=company, **fields)
    body = api_client.get(url(account, call.public_id, "fields=call_type,formatted_call_type")).json()
    assert body["call_type"] == expected == call.call_type
    assert body["formatted_call_type"] == label


def test_the_serializer_renders_the_one_list_of_call_fields():
    assert set(CallSerializer(context={"all_fields": True}).fields) == set(CALL_FIELDS)
    assert set(DEFAULT_FIELDS) | set(EXTRA_FIELDS) == set(CALL_FIELDS)
