import json

import pytest

from accounts.models import User
from api.tests.factories import TrackerFactory
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import Notification

pytestmark = pytest.mark.django_db

NOTIFICATION_KEYS = {
    "id",
    "user_id",
    "email",
    "alert_type",
    "call_enabled",
    "company_id",
    "name",
    "send_desktop",
    "send_email",
    "send_push",
    "sms_enabled",
    "tracker_id",
}


def url(account):
    return f"/v3/a/{account.public_id}/notifications.json"


def test_it_lists_notifications_in_the_reference_shape(
    api_client, account, company, admin_user, django_assert_max_num_queries
):
    tracker = TrackerFactory(company=company, name="Google Organic")
    Notification.objects.create(account=account, user=admin_user, company=company, sms_enabled=True)
    Notification.objects.create(
        account=account, user=admin_user, company=company, tracker_public_id=tracker.public_id, send_push=True
    )
    with django_assert_max_num_queries(6):
        response = api_client.get(url(account))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "notifications"}
    first, second = body["notifications"]
    assert set(first) == NOTIFICATION_KEYS
    assert isinstance(first["id"], int)
    assert first["user_id"] == admin_user.public_id
    assert first["name"] == f"All Calls and All Texts for {company.name}"
    assert first["tracker_id"] is None and first["email"] is None
    assert second["tracker_id"] == tracker.public_id
    assert second["name"] == "All Calls for Google Organic"


def test_it_filters(api_client, account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    Notification.objects.create(account=account, user=admin_user, send_push=True)
    Notification.objects.create(account=account, user=teddy)
    Notification.objects.create(account=account, user=None, email="boss@example.com", company=company)
    total = lambda query: api_client.get(url(account) + query).json()["total_records"]  # noqa: E731
    assert total("") == 3
    assert total(f"?user_id={teddy.public_id}") == 1
    assert total("?email=boss@example.com") == 1
    assert total("?notification_type=send_push") == 1
    assert total("?notification_type=push") == 1
    assert api_client.get(url(account) + "?notification_type=pigeon").status_code == 400


def test_user_id_also_works_as_a_get_body(api_client, account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    Notification.objects.create(account=account, user=admin_user)
    Notification.objects.create(account=account, user=teddy)
    response = api_client.generic(
        "GET", url(account), json.dumps({"user_id": teddy.public_id}), content_type="application/json"
    )
    assert response.json()["total_records"] == 1


def test_other_roles_list_their_own(account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    Notification.objects.create(account=account, user=admin_user)
    mine = Notification.objects.create(account=account, user=teddy)
    body = client_for(teddy).get(url(account)).json()
    assert [item["id"] for item in body["notifications"]] == [mine.numeric_id]


def test_it_hides_other_accounts_notifications(api_client, account, other_account):
    Notification.objects.create(account=other_account, email="x@example.com")
    assert api_client.get(url(account)).json()["total_records"] == 0
    assert api_client.get(url(other_account)).status_code == 404


def test_it_needs_a_key(account):
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/notifications.json")


def test_it_answers_429_past_the_limit(api_client, account, settings):
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/notifications.json", settings)
