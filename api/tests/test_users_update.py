import pytest

from accounts.models import Company, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role

pytestmark = pytest.mark.django_db


def url(account, user):
    return f"/v3/a/{account.public_id}/users/{user.public_id}.json"


def test_users_edit_their_own_profile(account, company):
    me = user_with_role(account, User.Role.REPORTING, [company])
    client = client_for(me)
    response = client.put(url(account, me), {"first_name": "Gene", "last_name": "Belcher"}, format="json")
    assert response.status_code == 200
    assert response.json()["name"] == "Gene Belcher"


def test_an_email_change_needs_the_current_password(api_client, account, admin_user):
    response = api_client.put(url(account, admin_user), {"email": "gene@example.com"}, format="json")
    assert response.status_code == 422
    assert "current_password" in response.json()["error"]
    response = api_client.put(
        url(account, admin_user), {"email": "gene@example.com", "current_password": "wrong"}, format="json"
    )
    assert response.status_code == 422
    response = api_client.put(
        url(account, admin_user), {"email": "gene@example.com", "current_password": "pw"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email"] == "gene@example.com"


def test_nobody_edits_another_users_name(api_client, account, company):
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    response = api_client.put(url(account, teddy), {"first_name": "Ted"}, format="json")
    assert response.status_code == 403
    teddy.refresh_from_db()
    assert teddy.first_name == "Reporting"


def test_admins_set_company_access(api_client, account, company):
    other = Company.objects.create(account=account, name="Other")
    teddy = user_with_role(account, User.Role.REPORTING, [company])
    response = api_client.put(url(account, teddy), {"companies": [other.public_id]}, format="json")
    assert response.status_code == 200
    assert response.json()["companies"] == [{"id": other.public_id, "name": "Other"}]
    assert list(teddy.companies.all()) == [other]


def test_admins_have_every_company_already(api_client, account, company, admin_user):
    response = api_client.put(url(account, admin_user), {"companies": [company.public_id]}, format="json")
    assert response.status_code == 422


def test_others_cannot_change_company_access(account, company):
    me = user_with_role(account, User.Role.MANAGER, [company])
    other = Company.objects.create(account=account, name="Other")
    response = client_for(me).put(url(account, me), {"companies": [other.public_id]}, format="json")
    assert response.status_code == 403


def test_pending_invitations_cannot_be_updated(api_client, account, company):
    invited = user_with_role(account, User.Role.REPORTING, [company])
    invited.accepted = False
    invited.save()
    response = api_client.put(url(account, invited), {"companies": [company.public_id]}, format="json")
    assert response.status_code == 422
    assert "invitation" in response.json()["error"]


def test_it_hides_other_accounts_users(api_client, account, other_account):
    bob = user_with_role(other_account, User.Role.REPORTING)
    assert api_client.put(url(account, bob), {"companies": []}, format="json").status_code == 404


def test_it_needs_a_key(account, admin_user):
    assert_needs_a_key("PUT", f"/v3/a/{account.public_id}/users/{admin_user.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, admin_user, settings):
    assert_rate_limited(
        api_client,
        "PUT",
        f"/v3/a/{account.public_id}/users/{admin_user.public_id}.json",
        settings,
        body={"first_name": "Al"},
    )
