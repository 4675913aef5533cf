import pytest

from accounts.models import Company, User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import Integration

pytestmark = pytest.mark.django_db


def url(account):
    return f"/v3/a/{account.public_id}/integrations.json"


@pytest.fixture
def webhooks(account, company):
    return Integration.objects.create(
        account=account, company=company, type="Webhooks", config={"pre_call_webhook": ["http://example.com/hook.php"]}
    )


def test_it_lists_a_companys_integrations(api_client, account, company, webhooks, django_assert_max_num_queries):
    Integration.objects.create(account=account, company=company, type="Custom", config={"grab_cookies": ["_ga"]})
    with django_assert_max_num_queries(6):
        response = api_client.get(url(account) + f"?company_id={company.public_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"page", "per_page", "total_pages", "total_records", "integrations"}
    first = body["integrations"][0]
    assert set(first) == {"id", "type", "state", "config"}
    assert first == {
        "id": webhooks.numeric_id,
        "type": "Webhooks",
        "state": "active",
        "config": {"pre_call_webhook": ["http://example.com/hook.php"]},
    }
    assert body["integrations"][1]["type"] == "Custom"


def test_the_numeric_company_id_works(api_client, account, company, webhooks):
    assert api_client.get(url(account) + f"?company_id={company.numeric_id}").json()["total_records"] == 1


def test_signing_key_on_request_for_webhooks_only(api_client, account, company, webhooks):
    Integration.objects.create(account=account, company=company, type="Custom", config={"grab_cookies": ["_ga"]})
    body = api_client.get(url(account) + f"?company_id={company.public_id}&fields=signing_key").json()
    assert body["integrations"][0]["signing_key"] == company.webhook_signing_key
    assert "signing_key" not in body["integrations"][1]


def test_company_id_is_required(api_client, account, webhooks):
    response = api_client.get(url(account))
    assert response.status_code == 400
    assert "company_id" in response.json()["error"]


def test_it_hides_other_accounts_integrations(api_client, account, other_company):
    Integration.objects.create(account=other_company.account, company=other_company, type="Webhooks")
    response = api_client.get(url(account) + f"?company_id={other_company.public_id}")
    assert response.status_code == 404


def test_a_manager_only_sees_their_companies(account, company, webhooks):
    hidden = Company.objects.create(account=account, name="Hidden")
    manager = client_for(user_with_role(account, User.Role.MANAGER, [company]))
    assert manager.get(url(account) + f"?company_id={hidden.public_id}").status_code == 404
    assert manager.get(url(account) + f"?company_id={company.public_id}").json()["total_records"] == 1


def test_it_needs_a_key(account, company):
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/integrations.json?company_id={company.public_id}")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    assert_rate_limited(
        api_client, "GET", f"/v3/a/{account.public_id}/integrations.json?company_id={company.public_id}", settings
    )
