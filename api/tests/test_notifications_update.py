import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import Notification

pytestmark = pytest.mark.django_db


def url(account, notification):
    return f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json"


def test_it_updates_settings(api_client, account, company, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user, alert_type="vm_only")
    response = api_client.put(url(account, notification), {"call_enabled": False, "sms_enabled": True}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["call_enabled"], data["sms_enabled"], data["alert_type"]) == (False, True, "vm_only")
    assert "company_name" in data
    data = api_client.put(url(account, notification), {"company_id": company.public_id}, format="json").json()
    assert data["company_id"] == company.public_id


def test_bad_values_are_400s(api_client, account, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert api_client.put(url(account, notification), {"call_enabled": True}, format="json").status_code == 400
    assert api_client.put(url(account, notification), {"send_push": "often"}, format="json").status_code == 400


def test_someone_elses_notification_is_a_403(account, company, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user)
    teddy = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    response = teddy.put(url(account, notification), {"sms_enabled": True}, format="json")
    assert response.status_code == 403


def test_it_hides_other_accounts_notifications(api_client, account, other_account):
    notification = Notification.objects.create(account=other_account, email="x@example.com")
    assert api_client.put(url(account, notification), {"sms_enabled": True}, format="json").status_code == 404


def test_it_needs_a_key(account, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert_needs_a_key("PUT", f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert_rate_limited(
        api_client,
        "PUT",
        f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json",
        settings,
        body={"sms_enabled": True},
    )
