import pytest

from accounts.models import User
from api.tests.roles import assert_needs_a_key, assert_rate_limited, client_for, user_with_role
from integrations.models import IntegrationTrigger

pytestmark = pytest.mark.django_db


def url(account, trigger):
    return f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json"


def test_it_deletes_a_trigger(api_client, account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    assert api_client.delete(url(account, trigger)).status_code == 204
    assert not IntegrationTrigger.objects.filter(pk=trigger.pk).exists()


def test_reporting_users_cannot_delete(account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    reporting = client_for(user_with_role(account, User.Role.REPORTING, [company]))
    assert reporting.delete(url(account, trigger)).status_code == 403


def test_it_hides_other_accounts_triggers(api_client, account, other_company):
    trigger = IntegrationTrigger.objects.create(account=other_company.account, company=other_company)
    assert api_client.delete(url(account, trigger)).status_code == 404
    assert IntegrationTrigger.objects.filter(pk=trigger.pk).exists()


def test_it_needs_a_key(account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    assert_needs_a_key("DELETE", f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    assert_rate_limited(
        api_client, "DELETE", f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json", settings
    )
