import pytest

from accounts.models import Tag, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_tags_list import TAG_KEYS

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/tags.json"


def test_it_creates_a_company_tag_as_in_the_reference(api_client, account, company):
    body = {"name": "Existing Customer", "company_id": company.public_id, "color": "gray1"}
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == TAG_KEYS
    assert data["name"] == "Existing Customer"
    assert (data["tag_level"], data["color"], data["background_color"], data["status"]) == (
        "company",
        "gray1",
        "gray1",
        "enabled",
    )
    assert data["company_id"] == company.public_id
    assert Tag.objects.get(numeric_id=data["id"]).company == company


def test_it_creates_an_account_level_tag(api_client, account):
    data = api_client.post(url(account), {"name": "Spam", "tag_level": "account"}, format="json").json()
    assert (data["tag_level"], data["company_id"]) == ("account", None)


def test_a_company_tag_needs_a_company(api_client, account):
    response = api_client.post(url(account), {"name": "Orphan"}, format="json")
    assert response.status_code == 400
    assert "company_id" in response.json()["error"]


def test_it_refuses_unknown_colors_and_duplicates(api_client, account, company):
    response = api_client.post(
        url(account), {"name": "X", "company_id": company.public_id, "color": "mauve"}, format="json"
    )
    assert response.status_code == 400
    assert "color" in response.json()["error"]
    api_client.post(url(account), {"name": "Sales", "company_id": company.public_id}, format="json")
    response = api_client.post(url(account), {"name": "sales", "company_id": company.public_id}, format="json")
    assert response.status_code == 422
    assert "already exists" in response.json()["error"]
    assert Tag.objects.count() == 1


def test_only_admins_create_account_tags(account, company):
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    assert manager.post(url(account), {"name": "All", "tag_level": "account"}, format="json").status_code == 403
    response = manager.post(url(account), {"name": "Mine", "company_id": company.public_id}, format="json")
    assert response.status_code == 201
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    response = reporting.post(url(account), {"name": "Rep", "company_id": company.public_id}, format="json")
    assert response.status_code == 403


def test_it_cannot_tag_another_accounts_company(api_client, account, other_company):
    response = api_client.post(url(account), {"name": "X", "company_id": other_company.public_id}, format="json")
    assert response.status_code == 404
    assert not Tag.objects.exists()


def test_it_needs_a_key(account, company):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/tags.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client,
        "POST",
        f"/v3/a/{account.public_id}/tags.json",
        settings,
        body={"name": "Limited", "company_id": company.public_id},
    )
