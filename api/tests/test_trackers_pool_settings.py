"""The pool settings of a session tracker (our extension fields ``session_timeout`` and
``fallback_number``): read with ``fields=``, written on create and update, refused in
the API's error format, and seen by the DNI endpoint at once."""

import pytest

from api.tests.factories import TrackerFactory
from api.v3.schema import V3SchemaGenerator
from tracking.config_cache import company_config
from tracking.models import Tracker
from tracking.tests.factories import session_tracker

pytestmark = pytest.mark.django_db

FIELDS = "?fields=session_timeout,fallback_number"
BASIC_FLOW = {"type": "basic", "recording_enabled": False, "destination_number": "+14045551234"}


def url(account, suffix=""):
    return f"/v3/a/{account.public_id}/trackers{suffix}.json"


def create_body(company, **extra):
    return {
        "type": "session",
        "name": "Website",
        "company_id": company.public_id,
        "pool_size": 4,
        "call_flow": BASIC_FLOW,
        "pool_numbers": {"area_code": "404"},
        "source": "all",
        **extra,
    }


def test_it_reads_them_on_request(api_client, account, company):
    tracker = session_tracker(company=company, session_timeout=900, fallback_number="+14045550999")
    plain = api_client.get(url(account, f"/{tracker.public_id}")).json()
    assert "session_timeout" not in plain and "fallback_number" not in plain

    body = api_client.get(url(account, f"/{tracker.public_id}") + FIELDS).json()
    assert body["session_timeout"] == 900
    assert body["fallback_number"] == "+14045550999"
    listed = api_client.get(url(account) + FIELDS).json()["trackers"]
    assert listed[0]["session_timeout"] == 900


def test_no_fallback_reads_as_null_and_source_trackers_have_neither(api_client, account, company):
    pool = session_tracker(company=company)
    source = TrackerFactory(company=company, type="source", source={"type": "offline"}, pool_size=None)
    assert api_client.get(url(account, f"/{pool.public_id}") + FIELDS).json()["fallback_number"] is None
    body = api_client.get(url(account, f"/{source.public_id}") + FIELDS).json()
    assert body["session_timeout"] is None and body["fallback_number"] is None


def test_it_writes_them_when_creating(api_client, account, company):
    response = api_client.post(
        url(account) + FIELDS,
        create_body(company, session_timeout=600, fallback_number="(404) 555-0999"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["session_timeout"] == 600
    assert response.json()["fallback_number"] == "+14045550999"
    tracker = Tracker.objects.get(public_id=response.json()["id"])
    assert (tracker.session_timeout, tracker.fallback_number) == (600, "+14045550999")


def test_a_new_pool_has_the_default_timeout_and_no_fallback(api_client, account, company):
    response = api_client.post(url(account) + FIELDS, create_body(company), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["session_timeout"] == 1800
    assert response.json()["fallback_number"] is None


def test_it_updates_them_and_null_clears_the_fallback(api_client, account, company):
    tracker = session_tracker(company=company)
    response = api_client.put(
        url(account, f"/{tracker.public_id}") + FIELDS,
        {"session_timeout": "3600", "fallback_number": "+1 404 555 0998"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["session_timeout"] == 3600
    assert response.json()["fallback_number"] == "+14045550998"

    cleared = api_client.put(url(account, f"/{tracker.public_id}") + FIELDS, {"fallback_number": None}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["fallback_number"] is None
    assert cleared.json()["session_timeout"] == 3600  # omitted: unchanged
    tracker.refresh_from_db()
    assert tracker.fallback_number == ""


def test_the_dni_endpoint_sees_a_change_at_once(api_client, account, company):
    tracker = session_tracker(company=company)
    assert company_config(company.public_id).tracker(tracker.public_id).fallback_number == ""
    api_client.put(url(account, f"/{tracker.public_id}"), {"fallback_number": "+14045550997"}, format="json")
    assert company_config(company.public_id).tracker(tracker.public_id).fallback_number == "+14045550997"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"session_timeout": 299}, "session_timeout: must be between 300 and 86400 seconds."),
        ({"session_timeout": 86_401}, "session_timeout: must be between 300 and 86400 seconds."),
        ({"session_timeout": "soon"}, "session_timeout: must be a number of seconds between 300 and 86400."),
        ({"session_timeout": True}, "session_timeout: must be a number of seconds between 300 and 86400."),
        ({"session_timeout": None}, "session_timeout: must be a number of seconds between 300 and 86400."),
        ({"fallback_number": "call us"}, "fallback_number: 'call us' is not a valid phone number."),
        ({"fallback_number": ["+14045550999"]}, "fallback_number: must be a phone number or null."),
    ],
)
def test_bad_values_are_400s_in_the_api_s_format(api_client, account, company, change, message):
    tracker = session_tracker(company=company, session_timeout=900)
    response = api_client.put(url(account, f"/{tracker.public_id}"), change, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": message}
    tracker.refresh_from_db()
    assert tracker.session_timeout == 900

    created = api_client.post(url(account), create_body(company, **change), format="json")
    assert created.status_code == 400
    assert created.json() == {"error": message}
    assert Tracker.objects.count() == 1


def test_the_fallback_cannot_be_one_of_the_pool_s_own_numbers(api_client, account, company):
    tracker = session_tracker(company=company)
    own = tracker.numbers.first().number
    response = api_client.put(url(account, f"/{tracker.public_id}"), {"fallback_number": own}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "fallback_number: must not be one of the pool's own numbers."}


def test_source_trackers_refuse_them(api_client, account, company):
    source = TrackerFactory(company=company, type="source", source={"type": "offline"}, pool_size=None)
    for change in ({"session_timeout": 900}, {"fallback_number": "+14045550999"}):
        response = api_client.put(url(account, f"/{source.public_id}"), change, format="json")
        assert response.status_code == 400
        assert response.json()["error"].endswith("only session trackers have a pool.")


def test_other_accounts_trackers_stay_out_of_reach(api_client, account, other_company):
    theirs = session_tracker(company=other_company)
    response = api_client.put(url(account, f"/{theirs.public_id}"), {"session_timeout": 900}, format="json")
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.session_timeout == 1800


def test_the_openapi_description_documents_them():
    document = V3SchemaGenerator().get_schema(request=None, public=True)
    schemas = document["components"]["schemas"]
    tracker = schemas["Tracker"]["properties"]
    assert tracker["session_timeout"]["type"] == "integer" and tracker["session_timeout"]["nullable"] is True
    assert tracker["fallback_number"]["type"] == "string" and tracker["fallback_number"]["nullable"] is True
    for name in ("TrackerCreateInputRequest", "TrackerUpdateInputRequest"):
        body = schemas[name]["properties"]
        assert body["session_timeout"]["minimum"] == 300 and body["session_timeout"]["maximum"] == 86_400
        assert body["fallback_number"]["nullable"] is True
    update = document["paths"]["/v3/a/{account_id}/trackers/{id}.json"]["put"]
    assert update["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrackerUpdateInputRequest"
    }
