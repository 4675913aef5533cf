import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import Integration

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/integrations.json"


def test_it_creates_a_webhooks_integration_and_shows_the_signing_key(api_client, account, company):
    body = {
        "type": "Webhooks",
        "company_id": company.public_id,
        "config": {"pre_call_webhook": ["http://example.com/webhook.php"]},
    }
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 201
    data = response.json()
    assert set(data) == {"id", "type", "state", "config", "signing_key"}
    assert data["state"] == "active"
    assert data["config"] == {"pre_call_webhook": ["http://example.com/webhook.php"]}
    assert data["signing_key"] == company.webhook_signing_key
    assert Integration.objects.get(numeric_id=data["id"]).company == company


def test_it_creates_a_custom_cookie_capture_integration(api_client, account, company):
    body = {"type": "Custom", "company_id": company.public_id, "config": {"grab_cookies": ["_ga", "mycookie31"]}}
    data = api_client.post(url(account), body, format="json").json()
    assert data["config"] == {"grab_cookies": ["_ga", "mycookie31"]}
    assert "signing_key" not in data


@pytest.mark.parametrize(
    ("type_", "config", "message"),
    [
        ("Webhooks", {"pre_call_webhook": ["ftp://example.com/x"]}, "http or https"),
        ("Webhooks", {"pre_call_webhook": ["not a url"]}, "pre_call_webhook"),
        ("Webhooks", {"post_call_webhook": "http://localhost/x"}, "private"),
        ("Webhooks", {"on_call": ["http://example.com"]}, "Unknown webhook config keys"),
        ("Webhooks", {"pre_call_webhook": [42]}, "array of URLs"),
        ("Custom", {}, "grab_cookies is required"),
        ("Custom", {"grab_cookies": ["bad cookie;"]}, "not a valid cookie name"),
        ("Slack", {}, "type"),
    ],
)
def test_config_is_validated_fully(api_client, account, company, type_, config, message):
    response = api_client.post(
        url(account), {"type": type_, "company_id": company.public_id, "config": config}, format="json"
    )
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Integration.objects.exists()


def test_one_integration_per_type_per_company(api_client, account, company):
    body = {"type": "Webhooks", "company_id": company.public_id, "config": {}}
    first = api_client.post(url(account), body, format="json").json()
    response = api_client.post(url(account), body, format="json")
    assert response.status_code == 422
    assert "already has a Webhooks integration" in response.json()["error"]
    # A disabled (deleted) integration comes back when the type is created again.
    api_client.delete(f"/v3/a/{account.public_id}/integrations/{first['id']}.json")
    again = api_client.post(url(account), body, format="json")
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.json()["state"] == "active"


def test_reporting_users_cannot_create(account, company):
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    body = {"type": "Webhooks", "company_id": company.public_id, "config": {}}
    assert reporting.post(url(account), body, format="json").status_code == 403


def test_it_refuses_another_accounts_company(api_client, account, other_company):
    body = {"type": "Webhooks", "company_id": other_company.public_id, "config": {}}
    assert api_client.post(url(account), body, format="json").status_code == 404


def test_it_needs_a_key(account, company):
    assert_needs_a_key("POST", f"/v3/a/{account.public_id}/integrations.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client,
        "POST",
        f"/v3/a/{account.public_id}/integrations.json",
        settings,
        body={"type": "Custom", "company_id": company.public_id, "config": {"grab_cookies": ["_ga"]}},
    )
