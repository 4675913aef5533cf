import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from integrations.models import Integration

pytestmark = pytest.mark.django_db


def url(account, integration):
    return f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json"


@pytest.fixture
def integration(account, company):
    return Integration.objects.create(
        account=account,
        company=company,
        type="Webhooks",
        state="disabled",
        config={"pre_call_webhook": ["http://example.com/a"], "post_call_webhook": ["http://example.com/b"]},
    )


def test_it_activates_and_updates_the_config(api_client, account, integration):
    body = {"state": "active", "config": {"pre_call_webhook": ["http://example.com/webhook.php"]}}
    response = api_client.put(url(account, integration), body, format="json")
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"id", "type", "state", "config"}
    assert data["state"] == "active"
    # Keys sent replace the stored ones; the others stay.
    assert data["config"] == {
        "pre_call_webhook": ["http://example.com/webhook.php"],
        "post_call_webhook": ["http://example.com/b"],
    }


def test_invalid_values_change_nothing(api_client, account, integration):
    for body in ({"state": "failed"}, {"config": {"pre_call_webhook": ["javascript:alert(1)"]}}, {"config": []}):
        response = api_client.put(url(account, integration), body, format="json")
        assert response.status_code == 400, body
        assert "error" in response.json()
    integration.refresh_from_db()
    assert integration.config["pre_call_webhook"] == ["http://example.com/a"]


def test_it_hides_other_accounts_integrations(api_client, account, other_company):
    other = Integration.objects.create(account=other_company.account, company=other_company, type="Webhooks")
    assert api_client.put(url(account, other), {"state": "disabled"}, format="json").status_code == 404


def test_it_needs_a_key(account, integration):
    assert_needs_a_key("PUT", f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, integration, settings):
    assert_rate_limited(
        api_client,
        "PUT",
        f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json",
        settings,
        body={"state": "active"},
    )
