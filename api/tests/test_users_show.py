import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_users_list import USER_KEYS

pytestmark = pytest.mark.django_db


def url(account, user):
    return f"/v3/a/{account.public_id}/users/{user.public_id}.json"


def test_it_shows_a_user(api_client, account, company, admin_user):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    response = api_client.get(url(account, teddy))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["companies"] == [{"id": company.public_id, "name": company.name}]
    assert api_client.get(f"/v3/a/{account.public_id}/users/{teddy.numeric_id}.json").status_code == 200


def test_it_hides_other_accounts_users(api_client, account, other_account):
    bob = user_with_role(other_account, User.Role.ADMIN)
    assert api_client.get(url(account, bob)).status_code == 404


def test_other_roles_cannot_see_colleagues(account, company, admin_user):
    me = user_with_role(account, User.Role.REPORTING, [company])
    assert client_for(me).get(url(account, admin_user)).status_code == 404
    assert client_for(me).get(url(account, me)).status_code == 200


def test_it_needs_a_key(account, admin_user):
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/users/{admin_user.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/users/{admin_user.public_id}.json", settings)
