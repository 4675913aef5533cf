import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import Notification

pytestmark = pytest.mark.django_db


def url(account, notification):
    return f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json"


def test_it_deletes(api_client, account, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert api_client.delete(url(account, notification)).status_code == 204
    assert not Notification.objects.filter(pk=notification.pk).exists()


def test_users_delete_their_own_but_not_others(account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    mine = Notification.objects.create(account=account, user=teddy)
    theirs = Notification.objects.create(account=account, user=admin_user)
    client = client_for(teddy)
    response = client.delete(url(account, theirs))
    assert response.status_code == 403
    assert response.json() == {"error": "You do not have permission to perform the requested action"}
    assert client.delete(url(account, mine)).status_code == 204


def test_it_hides_other_accounts_notifications(api_client, account, other_account):
    notification = Notification.objects.create(account=other_account, email="x@example.com")
    assert api_client.delete(url(account, notification)).status_code == 404


def test_it_needs_a_key(account, admin_user):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    notification = Notification.objects.create(account=account, user=admin_user)
    assert_rate_limited(
        api_client, "DELETE", f"/v3/a/{account.public_id}/notifications/{notification.numeric_id}.json", settings
    )
