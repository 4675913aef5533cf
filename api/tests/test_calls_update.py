import pytest

from accounts.models import Tag, User
from api.tests.factories import CallFactory
from api.v3.serializers.calls import WRITE_RESPONSE_FIELDS
from telephony.models import Call

pytestmark = pytest.mark.django_db


def url(account, call):
    return f"/v3/a/{account.public_id}/calls/{call.public_id}.json"


def test_it_updates_a_call(api_client, account, company):
    call = CallFactory(company=company, answered=False)
    response = api_client.put(
        url(account, call),
        {
            "note": "Call customer back tomorrow",
            "tags": ["New Client"],
            "lead_status": "good_lead",
            "value": "$1.00",
            "append_tags": True,
            "customer_name": "James Smith",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == set(WRITE_RESPONSE_FIELDS)
    assert body["customer_name"] == "James Smith"
    call.refresh_from_db()
    assert call.note == "Call customer back tomorrow"
    assert call.lead_status == "good_lead"
    assert str(call.value) == "1.00"
    assert list(call.tags.values_list("name", flat=True)) == ["New Client"]


def test_previously_marked_good_lead_answers_400(api_client, account, company):
    call = CallFactory(company=company, lead_status=Call.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD)
    response = api_client.put(url(account, call), {"lead_status": "good_lead"}, format="json")
    assert response.status_code == 400
    assert "error" in response.json()


def test_it_rejects_bad_values(api_client, account, company):
    call = CallFactory(company=company)
    assert api_client.put(url(account, call), {"lead_status": "hot"}, format="json").status_code == 400
    assert api_client.put(url(account, call), {"spam": False}, format="json").status_code == 400
    assert api_client.put(url(account, call), {"tags": "Sales"}, format="json").status_code == 400


def test_marking_spam_hides_the_call_from_the_log(api_client, account, company):
    call = CallFactory(company=company)
    assert api_client.put(url(account, call), {"spam": True}, format="json").status_code == 200
    assert api_client.get(f"/v3/a/{account.public_id}/calls.json").json()["total_records"] == 0


def test_reporting_users_may_annotate_calls(account, company, make_api_client):
    reporter = User.objects.create_user(email="r@example.com", account=account, role=User.Role.REPORTING)
    reporter.companies.add(company)
    call = CallFactory(company=company)
    assert make_api_client(reporter).put(url(account, call), {"note": "ok"}, format="json").status_code == 200


def test_it_cannot_update_other_accounts_calls(api_client, account, other_company):
    theirs = CallFactory(company=other_company)
    assert api_client.put(url(account, theirs), {"note": "x"}, format="json").status_code == 404


def test_a_negative_value_or_a_disabled_tag_answers_400(api_client, account, company):
    call = CallFactory(company=company)
    Tag.objects.create(account=account, company=company, name="Old", status=Tag.Status.DISABLED)
    negative = api_client.put(url(account, call), {"value": "-5"}, format="json")
    assert negative.status_code == 400
    assert "not an amount" in negative.json()["error"]
    disabled = api_client.put(url(account, call), {"tags": ["Old"]}, format="json")
    assert disabled.status_code == 400
    assert disabled.json() == {"error": "The tag 'Old' is disabled."}
    assert not call.tags.exists()


def test_spam_null_is_accepted_and_changes_nothing(api_client, account, company):
    # pycallrail's Call.update sends every field, unset ones as null.
    call = CallFactory(company=company)
    body = {
        "tags": None,
        "note": "Called back",
        "value": None,
        "lead_status": None,
        "append_tags": None,
        "customer_name": None,
        "spam": None,
    }
    response = api_client.put(url(account, call), body, format="json")
    assert response.status_code == 200, response.json()
    call.refresh_from_db()
    assert call.spam is False
    assert call.note == "Called back"
    assert api_client.put(url(account, call), {"spam": ""}, format="json").status_code == 200


def test_spam_false_is_refused_in_the_references_words(api_client, account, company):
    call = CallFactory(company=company)
    response = api_client.put(url(account, call), {"spam": False}, format="json")
    assert response.status_code == 400
    assert "You cannot remove spam status via the API" in response.json()["error"]
    assert api_client.put(url(account, call), {"spam": "false"}, format="json").status_code == 400


def test_a_spam_call_stays_spam(api_client, account, company):
    call = CallFactory(company=company, spam=True)
    assert api_client.put(url(account, call), {"spam": None}, format="json").status_code == 400
    assert api_client.put(url(account, call), {"spam": True}, format="json").status_code == 200
    call.refresh_from_db()
    assert call.spam is True


def test_spam_accepts_the_string_true(api_client, account, company):
    call = CallFactory(company=company)
    assert api_client.put(url(account, call), {"spam": "true"}, format="json").status_code == 200
    call.refresh_from_db()
    assert call.spam is True


def test_spam_must_be_a_boolean(api_client, account, company):
    call = CallFactory(company=company)
    response = api_client.put(url(account, call), {"spam": "maybe"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": "spam must be true or false"}
