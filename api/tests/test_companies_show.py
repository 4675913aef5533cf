import pytest

from accounts.models import Company, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_companies_list import COMPANY_KEYS

pytestmark = pytest.mark.django_db


def url(account, company_id):
    return f"/v3/a/{account.public_id}/companies/{company_id}.json"


def test_it_shows_a_company_by_public_or_numeric_id(api_client, account, company):
    for identifier in (company.public_id, company.numeric_id):
        response = api_client.get(url(account, identifier))
        assert response.status_code == 200
        assert set(response.json()) == COMPANY_KEYS
        assert response.json()["id"] == company.public_id


def test_it_works_with_the_numeric_account_id(api_client, account, company):
    response = api_client.get(f"/v3/a/{account.numeric_id}/companies/{company.public_id}.json")
    assert response.status_code == 200


def test_list_filters_do_not_hide_a_single_company(api_client, account, company):
    assert api_client.get(url(account, company.public_id) + "?status=disabled").status_code == 200


def test_it_adds_verified_caller_ids_on_request(api_client, account, company):
    body = api_client.get(url(account, company.public_id) + "?fields=verified_caller_ids").json()
    assert body["verified_caller_ids"] == []


def test_it_hides_other_accounts_companies(api_client, account, other_company):
    response = api_client.get(url(account, other_company.public_id))
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_it_hides_companies_a_manager_was_not_given(account, company):
    hidden = Company.objects.create(account=account, name="Hidden")
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    assert manager.get(url(account, hidden.public_id)).status_code == 404
    assert manager.get(url(account, company.public_id)).status_code == 200


def test_unknown_ids_and_paths_are_json_404s(api_client, account):
    assert api_client.get(url(account, "COM" + "0" * 32)).status_code == 404
    assert api_client.get(url(account, "nonsense")).status_code == 404
    response = api_client.get(f"/v3/a/{account.public_id}/nothing-here.json")
    assert response.status_code == 404
    assert response.json() == {"error": "Not found"}


def test_patch_is_not_a_method_of_the_api(api_client, account, company):
    response = api_client.patch(url(account, company.public_id), {"name": "x"}, format="json")
    assert response.status_code == 405
    assert "error" in response.json()


def test_it_needs_a_key(account, company):
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/companies/{company.public_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(api_client, "GET", f"/v3/a/{account.public_id}/companies/{company.public_id}.json", settings)
