import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_summary_emails_list import SUMMARY_KEYS
from integrations.models import SummaryEmail

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/summary_emails.json"


def test_it_creates_as_in_the_reference(api_client, account, company, admin_user):
    body = {
        "user_id": admin_user.public_id,
        "company_id": company.public_id,
        "frequency": ["weekly", "daily"],
        "filters": {"lead_status": "Not a Lead"},
        "config": {"summary_statistics": True, "top_sources": True, "top_keywords": True, "call_log": True},
    }
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == SUMMARY_KEYS | {"filters"}
    assert data["frequency"] == ["weekly", "daily"]
    assert data["filters"] == {"lead_status": "Not a Lead"}
    assert data["scope"]["type"] == "Company"
    assert SummaryEmail.objects.get(public_id=data["id"]).lead_status_filter == "Not a Lead"


def test_sections_not_named_are_off(api_client, account, admin_user):
    body = {"user_id": admin_user.public_id, "frequency": ["monthly"], "config": {"call_log": True}}
    data = api_client.post(url(account), body, format="json").json()
    assert data["config"] == {
        "summary_statistics": False,
        "top_sources": False,
        "top_keywords": False,
        "call_log": True,
    }
    assert data["filters"] == {"lead_status": "All"}


@pytest.mark.parametrize(
    "body",
    [
        {"frequency": ["daily"], "config": {"call_log": True}},
        {"email": "boss@example.com", "frequency": ["daily"], "config": {"call_log": True}},
        {"email": "boss@example.com", "frequency": [], "config": {"call_log": True}},
        {"email": "boss@example.com", "frequency": ["hourly"], "config": {"call_log": True}},
        {"email": "boss@example.com", "frequency": ["daily"], "config": {}},
        {"email": "boss@example.com", "frequency": ["daily"], "config": {"jokes": True}},
        {
            "email": "boss@example.com",
            "frequency": ["daily"],
            "config": {"call_log": True},
            "filters": {"lead_status": "Hot"},
        },
    ],
)
def test_it_validates(api_client, account, body):
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 400
    assert "error" in response.json()
    assert not SummaryEmail.objects.exists()


def test_email_only_recipients_need_a_company(api_client, account, company):
    body = {
        "email": "boss@example.com",
        "company_id": company.public_id,
        "frequency": ["daily"],
        "config": {"call_log": True},
    }
    data = api_client.post(url(account), body, format="json").json()
    assert (data["email"], data["user"]) == ("boss@example.com", None)


def test_only_admins_subscribe_others(account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    client = client_for(teddy)
    body = {"user_id": admin_user.public_id, "frequency": ["daily"], "config": {"call_log": True}}
    assert client.post(url(account), body, format="json").status_code == 403
    body["user_id"] = teddy.public_id
    assert client.post(url(account), body, format="json").status_code == 201


def test_another_accounts_user_is_not_found(api_client, account, other_account):
    bob = user_with_role(other_account, User.Role.ADMIN)
    body = {"user_id": bob.public_id, "frequency": ["daily"], "config": {"call_log": True}}
    assert api_client.post(url(account), body, format="json").status_code == 404


def test_it_needs_a_key(account, admin_user):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/summary_emails.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    assert_rate_limited(
        api_client,
        "POST",
        f"/v3/a/{account.public_id}/summary_emails.json",
        settings,
        body={"user_id": admin_user.public_id, "frequency": ["daily"], "config": {"call_log": True}},
    )
