import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from integrations.models import Integration

pytestmark = pytest.mark.django_db


def url(account, integration):
    return f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json"


def test_it_shows_one_integration(api_client, account, company):
    integration = Integration.objects.create(
        account=account, company=company, type="Webhooks", config={"pre_call_webhook": ["http://example.com/a"]}
    )
    body = api_client.get(url(account, integration)).json()
    assert set(body) == {"id", "type", "state", "config"}
    with_key = api_client.get(url(account, integration) + "?fields=signing_key").json()
    assert with_key["signing_key"] == company.webhook_signing_key
    assert len(with_key["signing_key"]) == 32


def test_it_hides_other_accounts_integrations(api_client, account, other_company):
    integration = Integration.objects.create(account=other_company.account, company=other_company, type="Webhooks")
    assert api_client.get(url(account, integration)).status_code == 404


def test_it_needs_a_key(account, company):
    integration = Integration.objects.create(account=account, company=company, type="Webhooks")
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    integration = Integration.objects.create(account=account, company=company, type="Webhooks")
    assert_rate_limited(
        api_client, "GET", f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json", settings
    )
