import pytest

from accounts.models import Company, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from api.tests.test_companies_list import COMPANY_KEYS

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/companies.json"


def test_it_creates_a_company(api_client, account):
    response = api_client.post(url(account), {"name": "Widget Shop", "time_zone": "America/Chicago"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == COMPANY_KEYS
    assert body["name"] == "Widget Shop"
    assert body["time_zone"] == "America/Chicago"
    assert body["dni_active"] is None
    assert (body["swap_cookie_duration"], body["swap_cookie_duration_unit"]) == (6, "months")
    company = Company.objects.get(public_id=body["id"])
    assert company.account == account


def test_the_time_zone_defaults_to_the_accounts(api_client, account):
    body = api_client.post(url(account), {"name": "Widget Shop"}, format="json").json()
    assert body["time_zone"] == account.time_zone


def test_it_needs_a_name(api_client, account):
    response = api_client.post(url(account), {"time_zone": "America/Chicago"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]
    assert not Company.objects.exists()


def test_it_rejects_unknown_time_zones(api_client, account):
    response = api_client.post(url(account), {"name": "X", "time_zone": "Mars/Olympus"}, format="json")
    assert response.status_code == 400
    assert "time zone" in response.json()["error"]


def test_it_answers_406_for_a_form_encoded_body(api_client, account):
    response = api_client.post(url(account), "name=Widget", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 406
    assert "JSON" in response.json()["error"]
    response = api_client.post(url(account), "{not json", content_type="application/json")
    assert response.status_code == 406


def test_it_accepts_json_sent_without_a_json_content_type(api_client, account):
    # curl -d '{...}' without -H "Content-Type: application/json", as the reference's examples do.
    response = api_client.post(url(account), '{"name": "Curl Co"}', content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201


def test_only_admins_create_companies(account, company):
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    response = manager.post(url(account), {"name": "Nope"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"error": "You do not have permission to perform the requested action"}


def test_it_cannot_create_in_another_account(api_client, other_account):
    assert api_client.post(url(other_account), {"name": "X"}, format="json").status_code == 404
    assert not Company.objects.filter(account=other_account).exists()


def test_it_needs_a_key(account):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/companies.json")


def test_it_answers_429_past_the_limit(api_client, account, settings):
    assert_rate_limited(
        api_client, "POST", f"/v3/a/{account.public_id}/companies.json", settings, body={"name": "Limited"}
    )
