"""The recording announcement on the company resource (our extension): shown with
``fields=``, set on create and update, checked like every other setting."""

import pytest

from accounts.models import DEFAULT_RECORDING_DISCLOSURE, Company, User
from api.tests.roles import client_for, user_with_role
from api.tests.test_companies_list import COMPANY_KEYS

pytestmark = pytest.mark.django_db

DISCLOSURE = {"recording_disclosure", "recording_disclosure_message", "record_after_disclosure"}
FIELDS = "fields=recording_disclosure,recording_disclosure_message,record_after_disclosure"


def url(account, company=None, query=""):
    tail = f"/{company.public_id}" if company else ""
    return f"/v3/a/{account.public_id}/companies{tail}.json" + (f"?{query}" if query else "")


def test_a_new_company_announces_recordings(api_client, account):
    body = api_client.post(url(account), {"name": "Clinic"}, format="json").json()
    assert set(body) == COMPANY_KEYS
    shown = api_client.get(url(account, Company.objects.get(public_id=body["id"]), FIELDS)).json()
    assert set(shown) == COMPANY_KEYS | DISCLOSURE
    assert shown["recording_disclosure"] is True
    assert shown["recording_disclosure_message"] == DEFAULT_RECORDING_DISCLOSURE
    assert shown["record_after_disclosure"] is False


def test_it_can_be_set_when_created(api_client, account):
    body = api_client.post(
        url(account),
        {"name": "Clinic", "recording_disclosure": False, "recording_disclosure_message": "We record calls."},
        format="json",
    ).json()
    assert (body["recording_disclosure"], body["recording_disclosure_message"]) == (False, "We record calls.")


def test_existing_companies_keep_their_behaviour(api_client, account, company):
    shown = api_client.get(url(account, company, FIELDS)).json()
    assert shown["recording_disclosure"] is False


def test_it_is_updated_and_the_answer_shows_it(api_client, account, company):
    response = api_client.put(
        url(account, company),
        {
            "recording_disclosure": "true",
            "recording_disclosure_message": "  Calls are recorded.  ",
            "record_after_disclosure": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == COMPANY_KEYS | DISCLOSURE
    assert (body["recording_disclosure"], body["recording_disclosure_message"], body["record_after_disclosure"]) == (
        True,
        "Calls are recorded.",
        True,
    )
    company.refresh_from_db()
    assert (company.recording_disclosure, company.record_after_disclosure) == (True, True)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"recording_disclosure": "maybe"}, "recording_disclosure: Must be a valid boolean."),
        ({"recording_disclosure_message": ""}, "recording_disclosure_message: This field may not be blank."),
        (
            {"recording_disclosure_message": "x" * 501},
            "recording_disclosure_message: Ensure this field has no more than 500 characters.",
        ),
        ({"record_after_disclosure": None}, "record_after_disclosure: This field may not be null."),
    ],
)
def test_bad_values_are_explained(api_client, account, company, body, message):
    response = api_client.put(url(account, company), body, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_reporting_users_cannot_change_it(account, company):
    client = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert client.put(url(account, company), {"recording_disclosure": True}, format="json").status_code == 403
