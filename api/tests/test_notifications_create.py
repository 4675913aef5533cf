import pytest

from accounts.models import User
from api.tests.factories import TrackerFactory
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_notifications_list import NOTIFICATION_KEYS
from integrations.models import Notification

pytestmark = pytest.mark.django_db

CREATED_KEYS = NOTIFICATION_KEYS | {"agent_id", "agent_name", "company_name", "tracker_name"}


def url(account):
    return f"/v3/a/{account.public_id}/notifications.json"


def test_it_creates_as_in_the_reference(api_client, account, company):
    tracker = TrackerFactory(company=company, name="Google Organic")
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    body = {
        "user_id": teddy.public_id,
        "tracker_id": tracker.public_id,
        "send_email": True,
        "send_push": True,
        "send_desktop": True,
        "alert_type": "vm_only",
        "sms_enabled": True,
        "call_enabled": True,
    }
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == CREATED_KEYS
    assert (data["user_id"], data["alert_type"], data["company_id"]) == (teddy.public_id, "vm_only", company.public_id)
    assert (data["company_name"], data["tracker_name"], data["agent_id"]) == (company.name, "Google Organic", None)
    assert Notification.objects.get(numeric_id=data["id"]).user == teddy


def test_without_a_recipient_it_is_for_the_keys_user(api_client, account, admin_user):
    data = api_client.post(url(account), {}, format="json").json()
    assert data["user_id"] == admin_user.public_id
    assert data["name"] == "All Calls for All Companies"


def test_email_only_recipients_need_a_scope_and_email_only(api_client, account, company):
    response = api_client.post(url(account), {"email": "boss@example.com"}, format="json")
    assert response.status_code == 400
    assert "company_id or tracker_id" in response.json()["error"]
    response = api_client.post(
        url(account), {"email": "boss@example.com", "company_id": company.public_id, "send_push": True}, format="json"
    )
    assert response.status_code == 400
    data = api_client.post(
        url(account), {"email": "boss@example.com", "company_id": company.public_id}, format="json"
    ).json()
    assert (data["email"], data["user_id"], data["send_email"]) == ("boss@example.com", None, True)


def test_alert_type_is_required_with_call_enabled(api_client, account):
    response = api_client.post(url(account), {"call_enabled": True}, format="json")
    assert response.status_code == 400
    assert "alert_type" in response.json()["error"]
    assert api_client.post(url(account), {"alert_type": "sometimes"}, format="json").status_code == 400


def test_an_agent_restricts_the_rule(api_client, account, company):
    agent = user_with_role(account, User.Role.REPORTING, [company])
    data = api_client.post(url(account), {"agent_id": agent.public_id}, format="json").json()
    assert (data["agent_id"], data["agent_name"]) == (agent.public_id, agent.name)


def test_only_admins_create_for_others(account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    client = client_for(teddy)
    assert client.post(url(account), {"user_id": admin_user.public_id}, format="json").status_code == 403
    assert client.post(url(account), {"company_id": company.public_id}, format="json").status_code == 201


def test_another_accounts_rows_are_not_found(api_client, account, other_account, other_company):
    bob = user_with_role(other_account, User.Role.ADMIN)
    assert api_client.post(url(account), {"user_id": bob.public_id}, format="json").status_code == 404
    assert api_client.post(url(account), {"company_id": other_company.public_id}, format="json").status_code == 404
    assert not Notification.objects.exists()


def test_it_needs_a_key(account):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/notifications.json")


def test_it_answers_429_past_the_limit(api_client, account, settings):
    assert_rate_limited(
        api_client, "POST", f"/v3/a/{account.public_id}/notifications.json", settings, body={"sms_enabled": True}
    )
