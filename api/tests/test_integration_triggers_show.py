import pytest

from api.tests.roles import assert_needs_a_key, assert_rate_limited
from api.tests.test_integration_triggers_list import TRIGGER_KEYS
from integrations.models import IntegrationTrigger

pytestmark = pytest.mark.django_db


def url(account, trigger):
    return f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json"


def test_it_shows_a_trigger(api_client, account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company, max_duration=11)
    body = api_client.get(url(account, trigger)).json()
    assert set(body) == TRIGGER_KEYS
    assert (body["id"], body["max_duration"]) == (trigger.numeric_id, 11)


def test_it_hides_other_accounts_triggers(api_client, account, other_company):
    trigger = IntegrationTrigger.objects.create(account=other_company.account, company=other_company)
    assert api_client.get(url(account, trigger)).status_code == 404


def test_it_needs_a_key(account, company):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    assert_needs_a_key("GET", f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json")


def test_it_answers_429_past_the_limit(api_client, account, company, settings):
    trigger = IntegrationTrigger.objects.create(account=account, company=company)
    assert_rate_limited(
        api_client, "GET", f"/v3/a/{account.public_id}/integration_triggers/{trigger.numeric_id}.json", settings
    )
