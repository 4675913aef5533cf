import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import Integration

pytestmark = pytest.mark.django_db


def url(account, integration):
    return f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json"


def test_delete_disables(api_client, account, company):
    integration = Integration.objects.create(account=account, company=company, type="Webhooks")
    response = api_client.delete(url(account, integration))
    assert response.status_code == 204
    integration.refresh_from_db()
    assert integration.state == "disabled"


def test_reporting_users_cannot_disable(account, company):
    integration = Integration.objects.create(account=account, company=company, type="Webhooks")
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert reporting.delete(url(account, integration)).status_code == 403


def test_it_hides_other_accounts_integrations(api_client, account, other_company):
    other = Integration.objects.create(account=other_company.account, company=other_company, type="Webhooks")
    assert api_client.delete(url(account, other)).status_code == 404
    other.refresh_from_db()
    assert other.state == "active"


def test_it_needs_a_key(account, company):
    integration = Integration.objects.create(account=account, company=company, type="Webhooks")
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    integration = Integration.objects.create(account=account, company=company, type="Webhooks")
    assert_rate_limited(
        api_client, "DELETE", f"/v3/a/{account.public_id}/integrations/{integration.numeric_id}.json", settings
    )
