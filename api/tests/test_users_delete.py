import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role

pytestmark = pytest.mark.django_db


def url(account, user):
    return f"/v3/a/{account.public_id}/users/{user.public_id}.json"


def test_admins_delete_users(api_client, account, company):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    assert api_client.delete(url(account, teddy)).status_code == 204
    assert not User.objects.filter(pk=teddy.pk).exists()


def test_nobody_deletes_themselves(api_client, account, admin_user):
    response = api_client.delete(url(account, admin_user))
    assert response.status_code == 400
    assert User.objects.filter(pk=admin_user.pk).exists()


def test_only_admins_delete_users(account, company, admin_user):
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    response = manager.delete(url(account, admin_user))
    assert response.status_code == 403


def test_it_hides_other_accounts_users(api_client, account, other_account):
    bob = user_with_role(other_account, User.Role.REPORTING)
    assert api_client.delete(url(account, bob)).status_code == 404
    assert User.objects.filter(pk=bob.pk).exists()


def test_it_needs_a_key(account, company):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/users/{teddy.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    assert_rate_limited(api_client, "DELETE", f"/v3/a/{account.public_id}/users/{teddy.public_id}.json", settings)
