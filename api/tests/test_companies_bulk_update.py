import pytest

from accounts.models import Company, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/companies/bulk_update.json"


def test_it_turns_form_capture_on_for_listed_companies(api_client, account, company):
    second = Company.objects.create(account=account, name="Second")
    third = Company.objects.create(account=account, name="Third")
    body = {"company_ids": [company.public_id, second.numeric_id], "external_form_capture": True}
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 200
    assert response.json() == {"updated_records": 2}
    assert set(Company.objects.filter(form_capture=True)) == {company, second}
    third.refresh_from_db()
    assert third.form_capture is False


def test_all_means_every_company(api_client, account, company, other_company):
    Company.objects.create(account=account, name="Second")
    response = api_client.post(url(account), {"company_ids": ["all"], "external_form_capture": True}, format="json")
    assert response.json() == {"updated_records": 2}
    other_company.refresh_from_db()
    assert other_company.form_capture is False


def test_an_unknown_or_foreign_id_changes_nothing(api_client, account, company, other_company):
    body = {"company_ids": [company.public_id, other_company.public_id], "external_form_capture": True}
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 404
    assert "error" in response.json()
    company.refresh_from_db()
    assert company.form_capture is False


def test_company_ids_are_required(api_client, account):
    response = api_client.post(url(account), {"external_form_capture": True}, format="json")
    assert response.status_code == 400
    assert "company_ids" in response.json()["error"]


def test_a_manager_changes_only_their_companies(account, company):
    Company.objects.create(account=account, name="Hidden")
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    response = manager.post(url(account), {"company_ids": ["all"], "external_form_capture": True}, format="json")
    assert response.json() == {"updated_records": 1}
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    body = {"company_ids": ["all"], "external_form_capture": True}
    assert reporting.post(url(account), body, format="json").status_code == 403


def test_get_is_not_allowed(api_client, account):
    assert api_client.get(url(account)).status_code == 405


def test_it_hides_other_accounts(api_client, other_account):
    body = {"company_ids": ["all"], "external_form_capture": True}
    assert api_client.post(url(other_account), body, format="json").status_code == 404


def test_it_needs_a_key(account, company):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/companies/bulk_update.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client,
        "POST",
        f"/v3/a/{account.public_id}/companies/bulk_update.json",
        settings,
        body={"company_ids": ["all"], "external_form_capture": True},
    )
