import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from api.tests.test_notifications_list import NOTIFICATION_KEYS
from integrations.models import Notification

pytestmark = pytest.mark.django_db


def test_it_shows_one_notification(api_client, account, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user, alert_type="first_call")
    response = api_client.get(f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json")
    assert response.status_code == 200
    assert set(response.json()) == NOTIFICATION_KEYS
    assert response.json()["name"] == "First-Time Calls for All Companies"


def test_it_hides_other_accounts_notifications(api_client, account, other_account):
    notification = Notification.objects.create(account=other_account, email="x@example.com")
    response = api_client.get(f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json")
    assert response.status_code == 404


def test_it_needs_a_key(account, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert_rate_limited(
        api_client, "GET", f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json", settings
    )
